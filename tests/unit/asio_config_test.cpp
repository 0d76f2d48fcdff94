// Every file must compile Asio's handler allocator the same way. Asio 1.22
// picks aligned_alloc/free when libstdc++'s configuration was included before
// Asio's and operator new/delete otherwise, and a program built from both
// kinds of file freed operator-new memory with free() (found by ASan in
// build-asan: alloc-dealloc-mismatch when ServerTest's io_context thread
// ended). CMakeLists.txt sets ASIO_DISABLE_STD_ALIGNED_ALLOC for every file;
// this file includes a standard header first, the order that chose
// aligned_alloc, so it fails if that setting goes.
#include <string>

#include <asio/detail/memory.hpp>
#include <gtest/gtest.h>

namespace {

TEST(AsioConfig, EveryFileUsesTheSameHandlerAllocator) {
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
    FAIL() << "ASIO_HAS_STD_ALIGNED_ALLOC is set here but not in files that include Asio first: "
              "keep ASIO_DISABLE_STD_ALIGNED_ALLOC in CMakeLists.txt";
#else
    void* p = asio::aligned_new(64, 100);
    ASSERT_NE(p, nullptr);
    asio::aligned_delete(p);
#endif
}

}  // namespace
