# Third-party packages. Everything comes from Debian's packages or the official LibTorch download
# (or the PyPI torch wheel: PRUNESCOPE_TORCH_WHEEL, see TorchWheel.cmake).
include(TorchWheel)
find_package(Torch REQUIRED)
# Every LibTorch library from the one installation: a machine may have two (Debian's and a
# download), and TorchConfig.cmake's find_library calls search the system folders first.
foreach(_lib IN LISTS TORCH_LIBRARIES)
    string(FIND "${_lib}" "${TORCH_INSTALL_PREFIX}/" _at)
    if(IS_ABSOLUTE "${_lib}" AND NOT _at EQUAL 0)
        message(FATAL_ERROR "LibTorch at ${TORCH_INSTALL_PREFIX}, but ${_lib} comes from elsewhere")
    endif()
endforeach()
# PyTorch's own builds of LibTorch >= 2.5 (the wheel; the pytorch.org zips are built the same way,
# as far as we know) are made with GCC 13 against an older libstdc++ and link the newer parts of libstdc++ statically; libtorch.so exports them
# (std::filesystem::remove_all, std::chrono::tzdb, ...; PyTorch issue 133437). The loader binds each
# std:: symbol to the first library in the executable's DT_NEEDED list that defines it, which was
# libtorch.so: our std::filesystem::remove_all ran libtorch.so's copy and jumped to address 0
# (test_report_plots and test_finetune crashed with the wheel). Naming libstdc++ before anything
# else on the link line makes it the first DT_NEEDED entry: std:: resolves to the system's
# libstdc++, the one our code is compiled against. Debian's LibTorch 1.13: not needed, not done.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND Torch_VERSION VERSION_GREATER_EQUAL 2.5)
    string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--push-state,--no-as-needed -lstdc++ -Wl,--pop-state")
endif()
find_package(spdlog REQUIRED)

# LibTorch 2.x ships fmt 11's headers in its include folder (include/fmt; LibTorch uses them
# internally, in namespace fmt::v11, which cannot clash with fmt 9's fmt::v9; <torch/torch.h> itself
# includes no fmt). Debian's spdlog is built
# against Debian's fmt 9 (SPDLOG_FMT_EXTERNAL, libfmt.so.9; the package has no bundled fmt), and
# /usr/include is searched after every -isystem folder, so spdlog's <fmt/format.h> would resolve to
# LibTorch's fmt 11: types of fmt::v11 in our calls, fmt::v9 in libspdlog.so. Put the folder of the
# fmt that spdlog was built with in front of LibTorch's, through a link in the build folder (CMake
# drops /usr/include itself from -isystem, being the compiler's own). Debian's LibTorch 1.13 has no
# fmt folder: the default build is unchanged.
if(TARGET torch AND TORCH_INCLUDE_DIRS AND TARGET fmt::fmt)
    list(GET TORCH_INCLUDE_DIRS 0 _torch_include)
    get_target_property(_fmt_include fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
    list(GET _fmt_include 0 _fmt_include)
    if(EXISTS "${_torch_include}/fmt/core.h" AND EXISTS "${_fmt_include}/fmt/core.h"
       AND NOT _torch_include STREQUAL _fmt_include)
        set(_fmt_shim "${CMAKE_BINARY_DIR}/spdlog-fmt")
        file(MAKE_DIRECTORY "${_fmt_shim}")
        file(CREATE_LINK "${_fmt_include}/fmt" "${_fmt_shim}/fmt" SYMBOLIC)
        set_property(TARGET torch PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${_fmt_shim};${TORCH_INCLUDE_DIRS}")
        message(STATUS "fmt: spdlog's (${_fmt_include}/fmt) ahead of LibTorch's (${_torch_include}/fmt)")
    endif()
endif()
find_package(nlohmann_json 3.9 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)

if(PRUNESCOPE_BUILD_GUI OR PRUNESCOPE_BUILD_TESTS)
    set(_qt_components Core)
    if(PRUNESCOPE_BUILD_GUI)
        list(APPEND _qt_components Gui Widgets PrintSupport Svg)
    endif()
    if(PRUNESCOPE_BUILD_TESTS)
        list(APPEND _qt_components Test)
    endif()
    find_package(Qt6 REQUIRED COMPONENTS ${_qt_components})
endif()
if(PRUNESCOPE_BUILD_GUI)
    find_package(QCustomPlotQt6 REQUIRED)
endif()
