// Internal error type: every fallible internal call returns a Status; the API
// layer turns a failed one into a logger message and a null/false result.
#pragma once
#include <string>
#include <utility>

namespace kiln {

class Status {
public:
    Status() = default;
    static Status Ok() { return {}; }
    static Status Error(std::string msg) {
        Status s;
        s.ok_ = false;
        s.msg_ = std::move(msg);
        return s;
    }
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const std::string& message() const { return msg_; }

    // Prefixes context ("node 'conv1' (Convolution): ") to an error message.
    Status withContext(const std::string& ctx) const {
        return ok_ ? *this : Error(ctx + msg_);
    }

private:
    bool ok_ = true;
    std::string msg_;
};

#define KILN_RETURN_IF_ERROR(expr)            \
    do {                                      \
        ::kiln::Status kiln_status_ = (expr); \
        if (!kiln_status_.ok()) return kiln_status_; \
    } while (0)

}  // namespace kiln
