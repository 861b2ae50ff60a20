# Use ccache when present. Precompiled headers need the sloppiness below to be cacheable; the base
# folder makes paths inside the source tree relative, so another clone of it hits the same cache.
find_program(PRUNESCOPE_CCACHE ccache)
if(PRUNESCOPE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
        ${PRUNESCOPE_CCACHE})
    message(STATUS "ccache: ${PRUNESCOPE_CCACHE}")
endif()
