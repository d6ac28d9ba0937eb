// MappedFile: mmap with the error handling spelled out.
#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::onnx {

MappedFile::~MappedFile() {
    if (mData) ::munmap(mData, mSize);
}

bool MappedFile::open(const std::string& path, std::string& error) {
    if (mData) ::munmap(mData, mSize);
    mData = nullptr;
    mSize = 0;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open '" + path + "': " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "'" + path + "' is not a regular file";
        ::close(fd);
        return false;
    }
    if (st.st_size == 0) {
        ::close(fd);
        return true;
    }
    void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    const int mapErrno = errno;
    ::close(fd);  // the mapping stays valid without the descriptor
    if (p == MAP_FAILED) {
        error = "cannot map '" + path + "': " + std::strerror(mapErrno);
        return false;
    }
    mData = p;
    mSize = size_t(st.st_size);
    return true;
}

}  // namespace kiln::onnx
