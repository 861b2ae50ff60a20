# The hardening Debian builds its packages with (dpkg-buildflags, hardening=+all), for the
# optimised builds the package comes from: fortified libc calls (buffer overflows in memcpy,
# snprintf, read... caught at run time), and relocations read-only and resolved at start-up
# (relro + bindnow: no writable GOT to overwrite). Debian's gcc already builds position-independent
# executables and protects the stack. The sanitizer builds go without: _FORTIFY_SOURCE hides calls
# from AddressSanitizer's interceptors.
option(PRUNESCOPE_HARDENING "Build with _FORTIFY_SOURCE=2 and -z relro -z now (optimised builds)" ON)

if(PRUNESCOPE_HARDENING AND PRUNESCOPE_SANITIZE STREQUAL "" AND NOT PRUNESCOPE_FUZZ)
    add_compile_definitions($<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
    add_link_options(LINKER:-z,relro LINKER:-z,now)
endif()
