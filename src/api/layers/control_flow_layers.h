// ILoop and IIfConditional with their boundary layers. Each boundary layer is
// an IR node carrying its loop's (`loop`) or conditional's (`cond`) id; the
// builder derives bodies and branches from the graph (src/ir/control_flow.h).
#pragma once
#include "../network_impl.h"

namespace kiln::api {

class LoopImpl;
class IfConditionalImpl;

class RecurrenceLayer final : public LayerBase<IRecurrenceLayer> {
public:
    RecurrenceLayer(NetworkImpl& net, int node, LoopImpl& loop)
        : LayerBase(net, LayerType::kRECURRENCE, node, 1), loop_(loop) {}
    ILoop* getLoop() const noexcept override;

private:
    LoopImpl& loop_;
};

class TripLimitLayer final : public LayerBase<ITripLimitLayer> {
public:
    TripLimitLayer(NetworkImpl& net, int node, LoopImpl& loop)
        : LayerBase(net, LayerType::kTRIP_LIMIT, node, 1), loop_(loop) {}
    ILoop* getLoop() const noexcept override;
    TripLimit getTripLimit() const noexcept override {
        return node().attrs.getString("kind", "count") == "while" ? TripLimit::kWHILE : TripLimit::kCOUNT;
    }

private:
    LoopImpl& loop_;
};

class IteratorLayer final : public LayerBase<IIteratorLayer> {
public:
    IteratorLayer(NetworkImpl& net, int node, LoopImpl& loop)
        : LayerBase(net, LayerType::kITERATOR, node, 1), loop_(loop) {}
    ILoop* getLoop() const noexcept override;
    void setAxis(int32_t axis) noexcept override {
        node().attrs.set("axis", int64_t(axis));
        touch();
    }
    int32_t getAxis() const noexcept override { return int32_t(node().attrs.getInt("axis", 0)); }
    void setReverse(bool reverse) noexcept override { node().attrs.set("reverse", int64_t(reverse)); }
    bool getReverse() const noexcept override { return node().attrs.getInt("reverse", 0) != 0; }

private:
    LoopImpl& loop_;
};

class LoopOutputLayer final : public LayerBase<ILoopOutputLayer> {
public:
    LoopOutputLayer(NetworkImpl& net, int node, LoopImpl& loop)
        : LayerBase(net, LayerType::kLOOP_OUTPUT, node, 1), loop_(loop) {}
    ILoop* getLoop() const noexcept override;
    LoopOutput getLoopOutput() const noexcept override;
    void setAxis(int32_t axis) noexcept override {
        node().attrs.set("axis", int64_t(axis));
        touch();
    }
    int32_t getAxis() const noexcept override { return int32_t(node().attrs.getInt("axis", 0)); }

private:
    LoopImpl& loop_;
};

class LoopImpl final : public ILoop {
public:
    LoopImpl(NetworkImpl& net, int64_t id) : net_(net), id_(id), name_("(Unnamed Loop " + std::to_string(id) + ")") {}
    IRecurrenceLayer* addRecurrence(ITensor& initialValue) noexcept override;
    ITripLimitLayer* addTripLimit(ITensor& tensor, TripLimit limit) noexcept override;
    IIteratorLayer* addIterator(ITensor& tensor, int32_t axis, bool reverse) noexcept override;
    ILoopOutputLayer* addLoopOutput(ITensor& tensor, LoopOutput kind, int32_t axis) noexcept override;
    void setName(const char* name) noexcept override { name_ = name ? name : ""; }
    const char* getName() const noexcept override { return name_.c_str(); }

private:
    int boundary(const char* op, const char* kind, ITensor& input, int numOutputs, const char* call);

    NetworkImpl& net_;
    int64_t id_;
    std::string name_;
};

template <class I, LayerType kType>
class ConditionalBoundary final : public LayerBase<I> {
public:
    ConditionalBoundary(NetworkImpl& net, int node, IfConditionalImpl& cond)
        : LayerBase<I>(net, kType, node, 1), cond_(cond) {}
    IIfConditional* getConditional() const noexcept override;

private:
    IfConditionalImpl& cond_;
};
using ConditionLayer = ConditionalBoundary<IConditionLayer, LayerType::kCONDITION>;
using IfInputLayer = ConditionalBoundary<IIfConditionalInputLayer, LayerType::kCONDITIONAL_INPUT>;
using IfOutputLayer = ConditionalBoundary<IIfConditionalOutputLayer, LayerType::kCONDITIONAL_OUTPUT>;

class IfConditionalImpl final : public IIfConditional {
public:
    IfConditionalImpl(NetworkImpl& net, int64_t id)
        : net_(net), id_(id), name_("(Unnamed Conditional " + std::to_string(id) + ")") {}
    IConditionLayer* setCondition(ITensor& condition) noexcept override;
    IIfConditionalOutputLayer* addOutput(ITensor& trueOut, ITensor& falseOut) noexcept override;
    IIfConditionalInputLayer* addInput(ITensor& input) noexcept override;
    void setName(const char* name) noexcept override { name_ = name ? name : ""; }
    const char* getName() const noexcept override { return name_.c_str(); }

private:
    NetworkImpl& net_;
    int64_t id_;
    std::string name_;
    ITensor* condition_ = nullptr;  // the condition layer's output
};

}  // namespace kiln::api
