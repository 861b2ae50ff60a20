# Sanitizer and fuzzing builds (make test-sanitize, make fuzz; docs/hardening.md).
#   PRUNESCOPE_SANITIZE=address  AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer is part
#                                of ASan on Linux); every UB report is an error.
#   PRUNESCOPE_SANITIZE=thread   ThreadSanitizer.
#   PRUNESCOPE_FUZZ=ON           the libFuzzer targets in tests/fuzz (clang only); all code is
#                                instrumented for coverage so the fuzzer sees into the parsers.
# LibTorch, Qt and the C++ runtime stay uninstrumented (scripts/test-sanitize.sh says how the
# runs treat them).
set(PRUNESCOPE_SANITIZE "" CACHE STRING "Sanitizer build: address, thread or empty")
option(PRUNESCOPE_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

if(PRUNESCOPE_SANITIZE STREQUAL "address")
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
elseif(PRUNESCOPE_SANITIZE STREQUAL "thread")
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
elseif(NOT PRUNESCOPE_SANITIZE STREQUAL "")
    message(FATAL_ERROR "PRUNESCOPE_SANITIZE must be address, thread or empty, not '${PRUNESCOPE_SANITIZE}'")
endif()

if(PRUNESCOPE_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "PRUNESCOPE_FUZZ needs clang (libFuzzer); configure with -DCMAKE_CXX_COMPILER=clang++")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
