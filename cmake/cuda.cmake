# The CUDA backend: KILN_CUDA = ON (required), OFF, or AUTO (built when nvcc,
# cuBLASLt and cuDNN 9 are found). Without it everything else still builds and
# tests; the CUDA sources and tests are left out.
set(KILN_HAVE_CUDA OFF)
set(KILN_CUDA_SOURCES "")
set(KILN_CUDA_LIBRARIES "")
if(NOT KILN_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  set(kiln_cuda_missing "")
  if(CMAKE_CUDA_COMPILER)
    # Hopper first; Ampere and Ada so engines can also be built for them.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
      set(CMAKE_CUDA_ARCHITECTURES 80 89 90)
    endif()
    enable_language(CUDA)
    # C++20 for device code too; CMake before 3.26 does not know nvcc's flag for it.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit)
    if(NOT CUDAToolkit_FOUND OR NOT TARGET CUDA::cublasLt)
      set(kiln_cuda_missing "the CUDA toolkit's cudart/cuBLASLt")
    endif()
    find_path(KILN_CUDNN_INCLUDE_DIR cudnn.h
      HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include/x86_64-linux-gnu /usr/include)
    find_library(KILN_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
      HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu)
    if(NOT KILN_CUDNN_INCLUDE_DIR OR NOT KILN_CUDNN_LIBRARY)
      set(kiln_cuda_missing "cuDNN 9 (cudnn.h, libcudnn)")
    endif()
  else()
    set(kiln_cuda_missing "nvcc")
  endif()
  if(kiln_cuda_missing STREQUAL "")
    set(KILN_HAVE_CUDA ON)
  elseif(KILN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "KILN_CUDA=ON but ${kiln_cuda_missing} was not found")
  endif()
endif()
message(STATUS "kiln: CUDA backend ${KILN_HAVE_CUDA}")

if(KILN_HAVE_CUDA)
  message(STATUS "kiln: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${KILN_CUDNN_LIBRARY}")
  file(GLOB KILN_CUDA_SOURCES CONFIGURE_DEPENDS
    ${CMAKE_CURRENT_SOURCE_DIR}/src/backends/cuda/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/src/backends/cuda/*.cu
    ${CMAKE_CURRENT_SOURCE_DIR}/src/backends/cuda/kernels/*.cu
    ${CMAKE_CURRENT_SOURCE_DIR}/src/runtime/cuda/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/src/builder/cuda/*.cpp)
  set(KILN_CUDA_LIBRARIES CUDA::cudart CUDA::cublasLt ${KILN_CUDNN_LIBRARY})
endif()

# Include paths, definitions and libraries of a target holding CUDA sources.
function(kiln_cuda_setup_target target)
  target_include_directories(${target} PUBLIC ${CUDAToolkit_INCLUDE_DIRS} ${KILN_CUDNN_INCLUDE_DIR})
  target_compile_definitions(${target} PUBLIC KILN_HAVE_CUDA=1)
  target_link_libraries(${target} PUBLIC ${KILN_CUDA_LIBRARIES})
  # Device code: fast math off (results are checked against the reference),
  # line info for profilers.
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo>)
endfunction()
