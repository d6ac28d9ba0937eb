// Shared plumbing of the oneDNN tactics: the engine, memory descriptors for
// kiln's row-major tensors, and one generic Kernel that runs a oneDNN primitive.
//
// A Kernel keeps one "plan" (primitive + prepared constant weights + reorders)
// per concrete set of run-time shapes. The plan for the build (max) shapes is
// made in create(); other shapes (a smaller batch) get their plan on first use,
// cached under a mutex. Constant weights are reordered once into the layout
// oneDNN prefers (format_tag::any). The scratchpad is user-managed and lives
// in the caller's workspace, so the builder's workspace limit is honoured.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "../kernel.h"

namespace kiln::cpu::onednn {

using dims = dnnl::memory::dims;
using dnnl::memory;

// The one CPU engine of the process (oneDNN engines are thread-safe).
const dnnl::engine& cpuEngine();

// toDims, plainDesc and stridedDesc throw std::length_error (call them inside
// guarded()) for a tensor of over 2^31 - 1 elements, which oneDNN mishandles.
dims toDims(const ir::Shape& s);
// float32 tensor of shape `d` stored row-major in kiln's order.
memory::desc plainDesc(const dims& d);
// float32 tensor with explicit element strides (transposed / permuted views).
memory::desc stridedDesc(const dims& d, const dims& strides);
// Row-major strides of `d`.
dims rowMajorStrides(const dims& d);

// True when every present input and every output is float32.
bool allF32(const ir::Node& node, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out);
// True when input i is present, known at build time (a constant) and static.
bool isConstant(const ir::Node& node, const std::vector<ir::TensorDesc>& in, size_t i);

// Attributes every kiln primitive uses: scratchpad owned by the caller.
dnnl::primitive_attr userScratchpadAttr();

// What an op contributes for one set of shapes: the primitive descriptor and
// the layouts kiln's buffers have (src/dst are staged when the pd differs).
struct Setup {
    dnnl::primitive_desc pd;
    memory::desc srcUser, dstUser;
    memory::desc weightsUser;  // run-time (non-constant) weights only: MatMul's B
};
// May throw dnnl::error; returns an error Status for what it cannot express.
using SetupFn = std::function<Status(const std::vector<ir::Shape>& shapes, Setup& s)>;

// Bytes of workspace a setup needs: scratchpad plus staged src/dst, aligned.
size_t workspaceBytes(const Setup& s);

// Runs fn, turning any exception into an error Status (nothing may cross the
// Kernel interface).
Status guarded(const std::string& what, const std::function<Status()>& fn) noexcept;

// Builds a Setup and reports whether oneDNN can create it: supports() and
// workspace() use these so the decline rules are exactly oneDNN's own.
bool canSetup(const SetupFn& setup, const std::vector<ir::Shape>& shapes) noexcept;
size_t setupWorkspace(const SetupFn& setup, const std::vector<ir::Shape>& shapes) noexcept;

struct KernelSpec {
    std::string op;
    SetupFn setup;
    std::vector<int> shapeInputs;  // inputs whose run-time shapes key the plan
    int srcInput = 0;
    int runtimeWeightsInput = -1;  // MatMul: B is read from the call
    memory constWeights;           // user layout; copied and reordered in create()
    memory bias;                   // owned copy, or empty
    RefFn fallback = nullptr;      // for shapes oneDNN declines at run time
};

// Creates the kernel and its plan for `shapes` (the build shapes).
Status createKernel(KernelSpec spec, const std::vector<ir::Shape>& shapes, std::unique_ptr<Kernel>& out) noexcept;

// An owned float32 copy of `count` values (constant data outlives nothing).
memory ownedCopy(const memory::desc& d, const void* data);

}  // namespace kiln::cpu::onednn
