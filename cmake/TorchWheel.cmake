# LibTorch 2.x with CUDA from the PyPI torch wheel (`make build-torch2`, docs/gpu.md).
#
#   cmake -S . -B build-torch2 -DPRUNESCOPE_TORCH_WHEEL=<venv>/lib/python3.X/site-packages/torch
#
# The wheel is a complete LibTorch (include/, lib/, share/cmake/Torch). Its CUDA 12.x runtime comes
# as separate wheels in the same site-packages (nvidia-cuda-runtime-cu12, nvidia-cublas-cu12, ...):
# site-packages/nvidia/<part>/lib/lib*.so.<major>, versioned names only, no nvcc. libtorch*.so carry
# a DT_RPATH of $ORIGIN/../../nvidia/*/lib, so they find those libraries by themselves at run time.
#
# What torch's CMake config does for a CUDA build, left to itself (Caffe2Config.cmake includes
# Caffe2/public/cuda.cmake): find_package(CUDA) (nvcc, cuda.h, libcudart), enable_language(CUDA),
# find_package(CUDAToolkit) of the same version as that nvcc, a try_run of a cuda.h program, and then
# our targets link CUDA::cudart and the toolkit's libnvrtc (TORCH_LIBRARIES gets CUDA_NVRTC_LIB).
# With this machine's CUDA 13.0 toolkit it configures, and links /usr/local/cuda/lib/libcudart.so
# (.so.13) and libnvrtc.so (.so.13) into our executables, while libtorch_cuda.so loads
# libcudart.so.12: two CUDA runtimes in one process. (GCC here passes
# --as-needed by default, which happens to drop the unused .so.13 again; nothing guarantees that.)
# A 12.x nvcc (the nvidia-cuda-nvcc-cu12 wheel) would match the versions, but FindCUDA and
# FindCUDAToolkit expect one toolkit folder (bin/nvcc, include/cuda.h, lib64/libcudart.so), which the
# wheels split over nvidia/*/ with versioned names only; we did not go down that road.
#
# We compile no CUDA code and call no CUDA API directly, so we need none of that. cuda.cmake returns
# at once when the target torch::cudart already exists (its include guard), so we define torch::cudart
# here, before find_package(Torch), on the wheel's own libcudart.so.<major>. No nvcc, no toolkit: the
# build works on a machine that has only the NVIDIA driver, and every CUDA library in the process is
# the one the wheel ships (check: `LD_DEBUG=libs build-torch2/app/prunescope-cli --version 2>&1 |
# grep 'calling init:.*cudart'` shows one libcudart).
if(NOT PRUNESCOPE_TORCH_WHEEL)
    return()
endif()
get_filename_component(_wheel "${PRUNESCOPE_TORCH_WHEEL}" ABSOLUTE)
if(NOT EXISTS "${_wheel}/share/cmake/Torch/TorchConfig.cmake")
    message(FATAL_ERROR "PRUNESCOPE_TORCH_WHEEL=${_wheel} is not a torch wheel's package folder "
                        "(no share/cmake/Torch/TorchConfig.cmake); make build-torch2 finds it itself")
endif()
# Debian's libtorch-dev also installs Caffe2Config.cmake, and TorchConfig.cmake looks for Caffe2 with
# PATHS (searched after the system): name both config folders outright.
set(Torch_DIR "${_wheel}/share/cmake/Torch" CACHE PATH "LibTorch's CMake config" FORCE)
set(Caffe2_DIR "${_wheel}/share/cmake/Caffe2" CACHE PATH "LibTorch's Caffe2 CMake config" FORCE)
# TorchConfig.cmake finds libc10.so with find_library(... PATHS <prefix>/lib), and PATHS come after
# the system folders: it would take Debian's LibTorch 1.13 libc10.so. Name the wheel's.
set(TORCH_LIBRARY "${_wheel}/lib/libtorch.so" CACHE FILEPATH "From the torch wheel" FORCE)
set(c10_LIBRARY "${_wheel}/lib/libc10.so" CACHE FILEPATH "From the torch wheel" FORCE)
set(C10_CUDA_LIBRARY "${_wheel}/lib/libc10_cuda.so" CACHE FILEPATH "From the torch wheel" FORCE)

# CUDA 12 wheels: nvidia/cuda_runtime/lib/libcudart.so.12 (what we use). The CUDA 13 wheels put it
# in nvidia/cu13/lib, as far as we know (not tried).
get_filename_component(_site "${_wheel}" DIRECTORY)
file(GLOB _cudart "${_site}/nvidia/cuda_runtime/lib/libcudart.so.[0-9]*" "${_site}/nvidia/cu[0-9]*/lib/libcudart.so.[0-9]*")
if(_cudart)
    list(GET _cudart 0 _cudart)
    get_filename_component(_cudart_dir "${_cudart}" DIRECTORY)
    get_filename_component(_cudart_soname "${_cudart}" NAME)
    add_library(torch::cudart SHARED IMPORTED)
    set_target_properties(torch::cudart PROPERTIES
        IMPORTED_LOCATION "${_cudart}"
        IMPORTED_SONAME "${_cudart_soname}")
    message(STATUS "CUDA runtime from the wheel: ${_cudart}")
else()
    message(STATUS "No nvidia/*/lib/libcudart.so.* beside ${_wheel}: a CPU-only wheel, or torch's own CUDA lookup")
endif()

# Our executables find libtorch*.so through their RPATH (absolute folders in the venv). CMake's
# usual build-tree RPATH ends in an empty entry for installable targets (room for the install
# RPATH, rewritten at install), and the loader reads an empty entry as the current folder, searched
# before the system's: the CLI would load a libQt6Core.so.6 lying in whatever folder it runs in. Link
# with the final RPATH instead: the folders of the libraries outside the build tree, nothing else.
set(CMAKE_BUILD_WITH_INSTALL_RPATH ON)
set(CMAKE_INSTALL_RPATH_USE_LINK_PATH ON)

# MKL is linked into libtorch_cpu.so statically. Left to itself, Caffe2/public/mkl.cmake adds
# ${MKL_ROOT}/lib/intel64 etc. with an empty MKL_ROOT (/lib/intel64, ...) to every executable's
# RUNPATH; like cuda.cmake it returns at once when its target exists.
if(NOT TARGET caffe2::mkl)
    add_library(caffe2::mkl INTERFACE IMPORTED)
endif()
# TorchConfig.cmake still warns "static library kineto_LIBRARY-NOTFOUND not found": kineto is inside
# libtorch_cpu.so in the wheel; the warning is harmless.
