#include "control_flow_layers.h"

namespace kiln::api {

ILoop* RecurrenceLayer::getLoop() const noexcept { return &loop_; }
ILoop* TripLimitLayer::getLoop() const noexcept { return &loop_; }
ILoop* IteratorLayer::getLoop() const noexcept { return &loop_; }
ILoop* LoopOutputLayer::getLoop() const noexcept { return &loop_; }

LoopOutput LoopOutputLayer::getLoopOutput() const noexcept {
    const std::string k = node().attrs.getString("kind", "last_value");
    return k == "concatenate" ? LoopOutput::kCONCATENATE
           : k == "reverse"   ? LoopOutput::kREVERSE
                              : LoopOutput::kLAST_VALUE;
}

int LoopImpl::boundary(const char* op, const char* kind, ITensor& input, int numOutputs, const char* call) {
    if (!net_.owns(&input, call)) return -1;
    const int n = net_.newNode(op, kind, {net_.valueOf(input)}, numOutputs);
    net_.graph().nodes[size_t(n)].attrs.set("loop", id_);
    return n;
}

IRecurrenceLayer* LoopImpl::addRecurrence(ITensor& init) noexcept {
    const int n = boundary("LoopRecurrence", "Recurrence", init, 1, "ILoop::addRecurrence");
    return n < 0 ? nullptr : net_.adopt(std::make_unique<RecurrenceLayer>(net_, n, *this));
}

ITripLimitLayer* LoopImpl::addTripLimit(ITensor& tensor, TripLimit limit) noexcept {
    if (limit != TripLimit::kCOUNT && limit != TripLimit::kWHILE) {
        logError(net_.logger(), "ILoop::addTripLimit: invalid trip limit kind");
        return nullptr;
    }
    const int n = boundary("LoopTripLimit", "TripLimit", tensor, 0, "ILoop::addTripLimit");
    if (n < 0) return nullptr;
    net_.graph().nodes[size_t(n)].attrs.set("kind", limit == TripLimit::kWHILE ? "while" : "count");
    return net_.adopt(std::make_unique<TripLimitLayer>(net_, n, *this));
}

IIteratorLayer* LoopImpl::addIterator(ITensor& tensor, int32_t axis, bool reverse) noexcept {
    const int n = boundary("LoopIterator", "Iterator", tensor, 1, "ILoop::addIterator");
    if (n < 0) return nullptr;
    auto* l = net_.adopt(std::make_unique<IteratorLayer>(net_, n, *this));
    l->setAxis(axis);
    l->setReverse(reverse);
    return l;
}

ILoopOutputLayer* LoopImpl::addLoopOutput(ITensor& tensor, LoopOutput kind, int32_t axis) noexcept {
    const int k = int(kind);
    if (k < 0 || k > 2) {
        logError(net_.logger(), "ILoop::addLoopOutput: invalid output kind");
        return nullptr;
    }
    const int n = boundary("LoopOutput", "LoopOutput", tensor, 1, "ILoop::addLoopOutput");
    if (n < 0) return nullptr;
    static const char* const kNames[] = {"last_value", "concatenate", "reverse"};
    net_.graph().nodes[size_t(n)].attrs.set("kind", kNames[k]);
    auto* l = net_.adopt(std::make_unique<LoopOutputLayer>(net_, n, *this));
    l->setAxis(axis);
    return l;
}

template <class I, LayerType kType>
IIfConditional* ConditionalBoundary<I, kType>::getConditional() const noexcept {
    return &cond_;
}

IConditionLayer* IfConditionalImpl::setCondition(ITensor& condition) noexcept {
    if (!net_.owns(&condition, "IIfConditional::setCondition")) return nullptr;
    if (condition_) {
        logError(net_.logger(), "IIfConditional::setCondition: conditional '" + name_ + "' already has a condition");
        return nullptr;
    }
    const int n = net_.newNode("IfCondition", "Condition", {net_.valueOf(condition)}, 1);
    net_.graph().nodes[size_t(n)].attrs.set("cond", id_);
    auto* l = net_.adopt(std::make_unique<ConditionLayer>(net_, n, *this));
    condition_ = l->getOutput(0);
    return l;
}

IIfConditionalOutputLayer* IfConditionalImpl::addOutput(ITensor& t, ITensor& f) noexcept {
    if (!condition_) {
        logError(net_.logger(),
                 "IIfConditional::addOutput: conditional '" + name_ + "' has no condition yet (setCondition)");
        return nullptr;
    }
    if (!net_.owns(&t, "IIfConditional::addOutput (true branch)") ||
        !net_.owns(&f, "IIfConditional::addOutput (false branch)"))
        return nullptr;
    const int n =
        net_.newNode("IfOutput", "ConditionalOutput", {net_.valueOf(*condition_), net_.valueOf(t), net_.valueOf(f)}, 1);
    net_.graph().nodes[size_t(n)].attrs.set("cond", id_);
    return net_.adopt(std::make_unique<IfOutputLayer>(net_, n, *this));
}

IIfConditionalInputLayer* IfConditionalImpl::addInput(ITensor& input) noexcept {
    if (!net_.owns(&input, "IIfConditional::addInput")) return nullptr;
    const int n = net_.newNode("IfInput", "ConditionalInput", {net_.valueOf(input)}, 1);
    net_.graph().nodes[size_t(n)].attrs.set("cond", id_);
    return net_.adopt(std::make_unique<IfInputLayer>(net_, n, *this));
}

}  // namespace kiln::api
