// The engine's error type: every message names the file and the place (line, tensor, field) and,
// where we can, how to fix it.
#pragma once

#include <stdexcept>
#include <string>

namespace prunescope {

class Error : public std::runtime_error {
public:
    // `file`: the input the problem is in (may be empty); `place`: where in it ("line 12",
    // "tensor 'h.0.attn.c_attn.weight'", "field 'n_layer'"); `hint`: what the user can do.
    Error(std::string file, std::string place, std::string message, std::string hint = {});

    const std::string& file() const noexcept { return m_file; }
    const std::string& place() const noexcept { return m_place; }
    const std::string& message() const noexcept { return m_message; }
    const std::string& hint() const noexcept { return m_hint; }

private:
    std::string m_file;
    std::string m_place;
    std::string m_message;
    std::string m_hint;
};

// Thrown by long-running calls when their cancel flag is raised.
class CancelledError : public std::runtime_error {
public:
    CancelledError() : std::runtime_error("cancelled") {}
};

}  // namespace prunescope
