// A read-only memory map of a whole file: parseFromFile hands the model's
// bytes to protobuf without copying them first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln::onnx {

class MappedFile {
public:
    MappedFile() = default;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    //! Maps `path`; false + message naming the path when it cannot be read.
    //! An empty file maps to size() == 0 and data() == nullptr.
    bool open(const std::string& path, std::string& error);
    const uint8_t* data() const { return static_cast<const uint8_t*>(mData); }
    size_t size() const { return mSize; }

private:
    void* mData = nullptr;
    size_t mSize = 0;
};

}  // namespace kiln::onnx
