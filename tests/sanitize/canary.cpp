// Canaries for the sanitizer builds: each mode commits one defect on purpose, and ctest expects
// the run to fail (WILL_FAIL). If a canary "passes", the sanitizer is not active or its reports no
// longer fail a test, and a clean `make test-sanitize` would prove nothing.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

int heapOverflow() {
    char* buffer = static_cast<char*>(std::malloc(8));
    std::memset(buffer, 0, 8);
    volatile int index = 8;
    const int value = buffer[index];
    std::free(buffer);
    return value;
}

int leak() {
    void* volatile lost = std::malloc(77);
    lost = nullptr;
    return lost == nullptr ? 0 : 1;
}

int signedOverflow() {
    volatile int big = 2147483647;
    return big + 1 > 0 ? 0 : 1;
}

int dataRace() {
    int counter = 0;
    std::thread a([&] { ++counter; });
    std::thread b([&] { ++counter; });
    a.join();
    b.join();
    return counter == 2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "heap-overflow") return heapOverflow();
    if (mode == "leak") return leak();
    if (mode == "signed-overflow") return signedOverflow();
    if (mode == "data-race") return dataRace();
    std::fprintf(stderr, "usage: sanitizer_canary heap-overflow|leak|signed-overflow|data-race\n");
    return 2;
}
