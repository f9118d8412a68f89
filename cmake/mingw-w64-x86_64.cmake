# CMake toolchain file: cross-compile for 64-bit Windows with mingw-w64 (Debian:
# gcc-mingw-w64-x86-64). scripts/windows-test.sh uses it to build c_examples/consumer
# against sockhelp (add_subdirectory and find_package) and runs the result under Wine:
#
#   cmake -S app -B build -DCMAKE_TOOLCHAIN_FILE=path/to/sockhelp/cmake/mingw-w64-x86_64.cmake
#
# The root CMakeLists.txt then has cargo build for x86_64-pc-windows-gnu (the Rust target
# must be installed: rustup target add x86_64-pc-windows-gnu) with this compiler as linker.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_mingw}-gcc)
set(CMAKE_CXX_COMPILER ${_mingw}-g++)
set(CMAKE_RC_COMPILER ${_mingw}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${_mingw})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages (find_package(sockhelp)) may live in any prefix given by CMAKE_PREFIX_PATH.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
