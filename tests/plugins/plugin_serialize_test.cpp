// Engines holding built-in and user plugins, serialized and loaded in a new process
// (plugin_engine_child, exec'ed): the same outputs when the plugins are there, an error
// naming the plugin when its library is not loaded.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "plugin_test_util.h"

using namespace kiln;
using namespace plugintest;

namespace {

std::string tempPath(const char* what) {
    char buf[] = "/tmp/kiln_plugin_XXXXXX";
    const int fd = mkstemp(buf);
    if (fd < 0) return "";
    close(fd);
    return std::string(buf) + "_" + what;
}

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ChildResult {
    int exitCode = -1;
    std::string out, err;
};

// Runs the child on `engine` with `args`; collects its exit code, output bytes and stderr.
ChildResult runChild(const std::string& engine, const std::vector<std::string>& args) {
    ChildResult r;
    const std::string out = tempPath("out"), err = tempPath("err");
    std::vector<std::string> argv = {KILN_PLUGIN_CHILD, engine, out};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) dup2(fd, 2);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readAll(out);
    r.err = readAll(err);
    std::remove(out.c_str());
    std::remove(err.c_str());
    return r;
}

std::unique_ptr<IPluginV2> fromRegistry(const char* name, Fields& fields) {
    IPluginCreator* c = getPluginRegistry()->getPluginCreator(name, "1", "");
    EXPECT_NE(c, nullptr) << name;
    return std::unique_ptr<IPluginV2>(c ? c->createPlugin(name, fields.collection()) : nullptr);
}

class PluginSerialize : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(loadPluginLibrary(KILN_SAMPLE_PLUGIN_LIB, &log_)) << log_.errors;
        builtinPlugins();  // not with log_: the registry keeps the first logger it is given
    }
    Logger log_;
};

TEST_F(PluginSerialize, BuiltinAndUserPluginsSurviveANewProcess) {
    // x -> Mish_Sample (user library) -> Normalize_TRT -> LReLU_TRT -> y;
    // x -> Reorg_TRT -> r; x -> PriorBox_TRT -> priors.
    Fields mishF, normF, lreluF, reorgF, priorF;
    mishF.f("beta", 1.5f);
    normF.fs("weights", {1, 2, 3, 4, 5, 6, 7, 8}).i("acrossSpatial", 0).i("channelShared", 0);
    lreluF.f("negSlope", 0.2f);
    reorgF.i("stride", 2);
    priorF.fs("minSize", {10.f}).fs("maxSize", {20.f}).fs("aspectRatios", {2.f}).i("imgH", 60).i("imgW", 60);
    auto mish = fromRegistry("Mish_Sample", mishF), norm = fromRegistry("Normalize_TRT", normF);
    auto lrelu = fromRegistry("LReLU_TRT", lreluF), reorg = fromRegistry("Reorg_TRT", reorgF);
    auto prior = fromRegistry("PriorBox_TRT", priorF);
    ASSERT_TRUE(mish && norm && lrelu && reorg && prior);

    auto builder = createInferBuilder(log_);
    auto net = builder->createNetworkV2(0);
    ITensor* x = net->addInput("x", DataType::kFLOAT, Dims4(2, 8, 6, 6));
    ITensor* t = net->addPluginV2(&x, 1, *mish)->getOutput(0);
    t = net->addPluginV2(&t, 1, *norm)->getOutput(0);
    t = net->addPluginV2(&t, 1, *lrelu)->getOutput(0);
    t->setName("y");
    net->markOutput(*t);
    ITensor* r = net->addPluginV2(&x, 1, *reorg)->getOutput(0);
    r->setName("r");
    net->markOutput(*r);
    ITensor* p = net->addPluginV2(&x, 1, *prior)->getOutput(0);
    p->setName("priors");
    net->markOutput(*p);
    auto config = builder->createBuilderConfig();
    auto engine = builder->buildEngineWithConfig(*net, *config);
    ASSERT_NE(engine, nullptr) << log_.errors;
    auto blob = engine->serialize();
    const std::string path = tempPath("engine");
    std::ofstream(path, std::ios::binary).write(static_cast<const char*>(blob->data()), std::streamsize(blob->size()));

    // This process's outputs, on the child's inputs.
    auto ctx = engine->createExecutionContext();
    std::vector<float> xin(2 * 8 * 6 * 6);
    for (size_t k = 0; k < xin.size(); ++k) xin[k] = float(std::sin(0.1 * double(k)));
    std::vector<float> y(xin.size()), rr(xin.size()), priors(size_t(volume(ctx->getTensorShape("priors"))));
    ctx->setTensorAddress("x", xin.data());
    ctx->setTensorAddress("y", y.data());
    ctx->setTensorAddress("r", rr.data());
    ctx->setTensorAddress("priors", priors.data());
    ASSERT_TRUE(ctx->execute()) << log_.errors;
    std::string mine;
    for (const auto* v : {&y, &rr, &priors}) mine.append(reinterpret_cast<const char*>(v->data()), v->size() * 4);

    const ChildResult ok = runChild(path, {"--builtin", "--plugins", KILN_SAMPLE_PLUGIN_LIB});
    EXPECT_EQ(ok.exitCode, 0) << ok.err;
    EXPECT_EQ(ok.out.size(), mine.size());
    EXPECT_TRUE(ok.out == mine) << "the new process computed other values";

    const ChildResult noUser = runChild(path, {"--builtin"});
    EXPECT_EQ(noUser.exitCode, 3) << noUser.err;
    EXPECT_NE(noUser.err.find("'Mish_Sample' version '1' namespace ''"), std::string::npos) << noUser.err;
    EXPECT_NE(noUser.err.find("no registered creator"), std::string::npos) << noUser.err;

    const ChildResult noBuiltin = runChild(path, {"--plugins", KILN_SAMPLE_PLUGIN_LIB});
    EXPECT_EQ(noBuiltin.exitCode, 3) << noBuiltin.err;
    EXPECT_NE(noBuiltin.err.find("'Normalize_TRT' version '1'"), std::string::npos) << noBuiltin.err;
    std::remove(path.c_str());
}

TEST_F(PluginSerialize, APluginLibraryThatDoesNotExistIsAnError) {
    Logger log;
    EXPECT_FALSE(loadPluginLibrary("/nonexistent/libnothing.so", &log));
    EXPECT_NE(log.errors.find("cannot load '/nonexistent/libnothing.so'"), std::string::npos) << log.errors;
    EXPECT_FALSE(loadPluginLibrary(nullptr, &log));
}

}  // namespace
