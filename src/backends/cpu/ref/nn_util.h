// Pieces shared by the Scatter, Cumulative, OneHot, ReverseSequence and
// Einsum reference kernels.
#pragma once
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "../../../ir/ops/nn_ops.h"
#include "broadcast.h"
#include "movement_util.h"

namespace kiln::cpu::ref::nn {

// An int32/int64 tensor's values as int64.
inline std::vector<int64_t> loadInt64s(const HostTensor& t) {
    std::vector<int64_t> v(size_t(t.numel()));
    for (size_t i = 0; i < v.size(); ++i) {
        if (t.dtype == ir::DType::kI64)
            std::memcpy(&v[i], t.as<uint8_t>() + i * 8, 8);
        else
            v[i] = t.as<int32_t>()[i];
    }
    return v;
}

// The type arithmetic accumulates in: double for floats, int64 for integers
// (integer results wrap to the element type, as docs/ops.md specifies).
template <class S>
using AccT = std::conditional_t<kIsFloatElem<S>, double, int64_t>;

template <class S>
AccT<S> loadAcc(const S* p, int64_t i) {
    return AccT<S>(Elem<S>::load(p[i]));
}

template <class S>
void storeAcc(S* p, int64_t i, AccT<S> v) {
    if constexpr (std::is_integral_v<S>)
        p[i] = S(v);  // modular since C++20
    else  // floats, and the narrow / bool element types (which the kernels refuse, but instantiate)
        p[i] = Elem<S>::store(ComputeT<S>(v));
}

// Wrapping integer arithmetic (no signed-overflow UB).
template <class A>
A addWrap(A a, A b) {
    if constexpr (std::is_integral_v<A>)
        return A(uint64_t(a) + uint64_t(b));
    else
        return a + b;
}
template <class A>
A mulWrap(A a, A b) {
    if constexpr (std::is_integral_v<A>)
        return A(uint64_t(a) * uint64_t(b));
    else
        return a * b;
}

}  // namespace kiln::cpu::ref::nn
