#include "core/util/error.h"

namespace prunescope {
namespace {

std::string compose(const std::string& file, const std::string& place, const std::string& message,
                    const std::string& hint) {
    std::string text;
    if (!file.empty()) text += file + ": ";
    if (!place.empty()) text += place + ": ";
    text += message;
    if (!hint.empty()) text += " (" + hint + ")";
    return text;
}

}  // namespace

Error::Error(std::string file, std::string place, std::string message, std::string hint)
    : std::runtime_error(compose(file, place, message, hint)),
      m_file(std::move(file)),
      m_place(std::move(place)),
      m_message(std::move(message)),
      m_hint(std::move(hint)) {}

}  // namespace prunescope
