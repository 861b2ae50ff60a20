// The .prunescope session file: sessionFromJson in memory, against a session file in the scratch
// folder (relative paths resolve there). A session that was accepted must save and read back
// equal (the GUI saves what it opened); a difference aborts, so the fuzzer reports it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/session/session_file.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_support.h"

using namespace prunescope;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::quietLogs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto file = fuzz::scratchDir() / "session.prunescope";
    SessionFile session;
    try {
        session = sessionFromJson(parseJson(fuzz::asText(data, size), file.string()), file);
    } catch (const std::exception&) {
        return 0;  // refused
    }
    const nlohmann::json written = sessionToJson(session, file);
    try {
        if (!(sessionFromJson(written, file) == session)) {
            std::fprintf(stderr, "session round trip changed the session; written: %s\n", written.dump().c_str());
            std::abort();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "session written for an accepted session is refused: %s\nwritten: %s\n", e.what(),
                     written.dump().c_str());
        std::abort();
    }
    return 0;
}
