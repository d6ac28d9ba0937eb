// kiln_conformance: runs the ONNX backend conformance suite on the CPU backend.
//
//   kiln_conformance [--data DIR] [--expectations FILE] [--table FILE]
//                    [--filter SUBSTRING] [--backend cpu] [--jobs N] [--per-process N]
//                    [--timeout SECONDS] [--suite-timeout SECONDS] [--verbose] [--no-fork]
//                    [--write-expectations FILE] [--dynamic-range] [--support-only]
//
// Every test runs in a forked child (--per-process N: N tests one after
// another in each, which saves process and CUDA context starts): a crash (the
// parser is young) or a hang becomes that test's FAIL instead of ending the
// run, the child's other tests go to a new child, and the per-test time
// budget is enforced by killing the child. The parent never touches kiln, so
// forking is safe (no kiln/oneDNN threads exist in it).
//
// Suites: node, simple, pytorch-operator, pytorch-converted under --data
// (default KILN_SHARED_DATA/onnx-backend; absent data: a message and exit 0).
// A test is skipped only when the expectations file lists it as `skip`; known
// failures (`fail` lines) count as failed but do not fail the run.
// --dynamic-range: inputs the model declares dynamic get profiles spanning
// [1, 2x] their test extents, so the engines really serve a range of shapes.
// --support-only: each test passes when its network parses and the builder
// finds a kernel for every layer (IBuilder::isNetworkSupported), nothing is
// run; with --backend cuda this checks CUDA coverage on a machine without a
// GPU (ctest onnx_cuda_support, expectations_cuda_support.txt).
// --table FILE: per-test results, markdown (TSV when FILE ends in .tsv).
// --write-expectations FILE: regenerates the expectations file: skips from the
// model scan, every current failure as a `fail` line, min-passed = passes now.
//
// Prints `onnx-conformance: N passed, N failed, N skipped`; exits 1 when fewer
// tests pass than the expectations file's `min-passed` (not checked under
// --filter, a partial run), 2 on a usage or expectations-file error.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "conformance.h"

#ifndef KILN_SHARED_DATA
#define KILN_SHARED_DATA "../shared/data"
#endif
#ifndef KILN_SOURCE_DIR
#define KILN_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace kiln::conformance;

namespace kiln::conformance {
const char* statusName(Status s) { return s == Status::kPass ? "PASS" : s == Status::kFail ? "FAIL" : "SKIP"; }
}  // namespace kiln::conformance

namespace {

struct Options {
    std::string data = std::string(KILN_SHARED_DATA) + "/onnx-backend";
    std::string expectations = std::string(KILN_SOURCE_DIR) + "/tests/conformance/expectations.txt";
    std::string table, filter, writeExpectations;
    int jobs = 2;
    int perProcess = 1;  // tests per forked child (--per-process; more saves process and CUDA starts)
    double timeout = 10;  // seconds per test; a hang must not eat the 5-minute CI budget
    int suiteBudget = 240;  // seconds for all tests together
    bool verbose = false, fork = true;
    bool cuda = false;
    bool dynamicRange = false;
    bool supportOnly = false;
};

struct Test {
    std::string suite, name, dir;
    ModelInfo info;
    TestResult result;
    std::string key() const { return suite + "/" + name; }
};

int usage(const char* msg) {
    std::cerr << "kiln_conformance: " << msg
              << "\nusage: kiln_conformance [--data DIR] [--expectations FILE] [--table FILE] [--filter SUBSTRING]\n"
                 "       [--backend cpu] [--jobs N] [--per-process N] [--timeout SECONDS] [--suite-timeout SECONDS]\n"
                 "       [--verbose] [--no-fork] [--dynamic-range] [--support-only]\n"
                 "       [--write-expectations FILE]\n";
    return 2;
}

constexpr int kStoppedAfterAFailure = 3;  // a child's exit status: its other tests need another child

// Child side: runs its tests in order and sends one "P|F<tab>detail\n" line
// per test through the pipe (a detail's newlines become spaces), re-arming
// the alarm for each: the parent attributes a crash or hang to the first test
// without a line.
[[noreturn]] void childMain(int fd, const std::vector<Test>& tests, const std::vector<size_t>& mine,
                            const RunOptions& ro, double timeout) {
    for (size_t i : mine) {
        alarm(static_cast<unsigned>(timeout) + 5);
        TestResult r;
        try {
            r = runTest(tests[i].dir, tests[i].info, ro);
        } catch (const std::exception& e) {
            r = {Status::kFail, std::string("exception: ") + e.what()};
        } catch (...) {
            r = {Status::kFail, "unknown exception"};
        }
        std::string msg = std::string(r.status == Status::kPass ? "P" : "F") + "\t" + r.detail;
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        msg += '\n';
        const char* p = msg.data();
        size_t left = msg.size();
        while (left > 0) {
            const ssize_t n = write(fd, p, left);
            if (n <= 0) _exit(1);
            p += n, left -= static_cast<size_t>(n);
        }
        // A failed CUDA test may leave the context broken (a sticky error):
        // the tests after it get a fresh process.
        if (ro.cuda && !ro.supportOnly && r.status != Status::kPass && i != mine.back()) {
            close(fd);
            _exit(kStoppedAfterAFailure);
        }
    }
    close(fd);
    _exit(0);  // skip atexit/static destructors of the half-used libraries
}

struct Child {
    pid_t pid = -1;
    int fd = -1;
    std::vector<size_t> tests;  // run in this order
    size_t done = 0;            // results received
    std::string out;            // text not yet split into lines
    std::chrono::steady_clock::time_point deadline;  // for tests[done]
    bool timedOut = false;
};

// The result a child's line gives.
TestResult parseLine(const std::string& line) {
    if (line.size() < 2 || (line[0] != 'P' && line[0] != 'F')) return {Status::kFail, "malformed result from child"};
    return {line[0] == 'P' ? Status::kPass : Status::kFail, line.substr(2)};
}

// After the child's pipe closed: reaps it and says what ended its current
// test (tests[done]), if it did not finish them all; nothing when the child
// stopped on purpose before that test.
std::optional<TestResult> finish(Child& c, double timeout) {
    int st = 0;
    while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
    }
    close(c.fd);
    if (c.timedOut) return TestResult{Status::kFail, "timed out after " + std::to_string(static_cast<int>(timeout)) + " s"};
    if (WIFEXITED(st) && WEXITSTATUS(st) == kStoppedAfterAFailure) return std::nullopt;
    if (WIFSIGNALED(st))
        return TestResult{Status::kFail, std::string("crashed: signal ") + std::to_string(WTERMSIG(st)) + " (" +
                                             strsignal(WTERMSIG(st)) + ")"};
    return TestResult{Status::kFail, "child exited (status " + std::to_string(WEXITSTATUS(st)) + ") without a result"};
}

// Runs tests[i] for every i in `todo`, up to opt.jobs at once.
void runAll(std::vector<Test>& tests, const std::vector<size_t>& todo, const Options& opt) {
    const RunOptions ro{opt.verbose, opt.cuda, opt.dynamicRange, opt.supportOnly};
    if (!opt.fork) {
        for (size_t i : todo) {
            try {
                tests[i].result = runTest(tests[i].dir, tests[i].info, ro);
            } catch (...) {
                tests[i].result = {Status::kFail, "exception"};
            }
            if (opt.verbose)
                std::cout << statusName(tests[i].result.status) << " " << tests[i].key() << " "
                          << tests[i].result.detail << std::endl;
        }
        return;
    }
    // Tests go to children in chunks of opt.perProcess (one process start,
    // and on CUDA one context, per chunk); what a crashed or hung child left
    // goes back to the front of the queue, less the test that ended it.
    std::deque<std::vector<size_t>> queue;
    for (size_t k = 0; k < todo.size(); k += size_t(opt.perProcess))
        queue.emplace_back(todo.begin() + std::ptrdiff_t(k),
                           todo.begin() + std::ptrdiff_t(std::min(todo.size(), k + size_t(opt.perProcess))));
    auto report = [&](size_t i) {
        if (opt.verbose)
            std::cout << statusName(tests[i].result.status) << " " << tests[i].key() << " " << tests[i].result.detail
                      << std::endl;
    };
    const auto perTest = std::chrono::milliseconds(static_cast<int64_t>(opt.timeout * 1000));
    std::vector<Child> running;
    const pid_t parent = getpid();
    // The whole suite must stay well inside CI's 5 minutes even if many tests
    // hang: past the suite budget, the tests not started fail (never silently).
    const auto suiteEnd = std::chrono::steady_clock::now() + std::chrono::seconds(opt.suiteBudget);
    while (!queue.empty() || !running.empty()) {
        if (std::chrono::steady_clock::now() > suiteEnd) {
            for (const auto& chunk : queue)
                for (size_t i : chunk) tests[i].result = {Status::kFail, "not run: suite time budget exhausted"};
            queue.clear();
        }
        while (!queue.empty() && static_cast<int>(running.size()) < opt.jobs) {
            std::vector<size_t> chunk = std::move(queue.front());
            queue.pop_front();
            int fds[2];
            std::cout.flush();
            std::cerr.flush();
            if (pipe(fds) != 0) {
                for (size_t i : chunk) tests[i].result = {Status::kFail, "pipe() failed"};
                continue;
            }
            const pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                // Never outlive the runner (killed, or stdout closed under
                // `| head`), and end on our own shortly after the budget.
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent) _exit(1);
                childMain(fds[1], tests, chunk, ro, opt.timeout);
            }
            close(fds[1]);
            if (pid < 0) {
                close(fds[0]);
                for (size_t i : chunk) tests[i].result = {Status::kFail, "fork() failed"};
                continue;
            }
            Child c;
            c.pid = pid, c.fd = fds[0], c.tests = std::move(chunk);
            c.deadline = std::chrono::steady_clock::now() + perTest;
            running.push_back(std::move(c));
        }
        std::vector<pollfd> pfds;
        for (auto& c : running) pfds.push_back({c.fd, POLLIN, 0});
        poll(pfds.data(), pfds.size(), 100);
        for (size_t k = 0; k < running.size();) {
            Child& c = running[k];
            bool eof = false;
            if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[4096];
                const ssize_t n = read(c.fd, buf, sizeof buf);
                if (n > 0) c.out.append(buf, static_cast<size_t>(n));
                else eof = true;
            }
            for (size_t nl; c.done < c.tests.size() && (nl = c.out.find('\n')) != std::string::npos;) {
                tests[c.tests[c.done]].result = parseLine(c.out.substr(0, nl));
                report(c.tests[c.done++]);
                c.out.erase(0, nl + 1);
                c.deadline = std::chrono::steady_clock::now() + perTest;
            }
            if (!eof && std::chrono::steady_clock::now() > c.deadline) {
                kill(c.pid, SIGKILL);  // our own child, by its pid
                c.timedOut = eof = true;
            }
            if (eof) {
                const std::optional<TestResult> ended = finish(c, opt.timeout);
                if (c.done < c.tests.size() && ended) {
                    tests[c.tests[c.done]].result = *ended;
                    report(c.tests[c.done++]);
                }
                if (c.done < c.tests.size())
                    queue.emplace_front(c.tests.begin() + std::ptrdiff_t(c.done), c.tests.end());
                running.erase(running.begin() + static_cast<long>(k));
                pfds.erase(pfds.begin() + static_cast<long>(k));
            } else {
                ++k;
            }
        }
    }
}

std::string cell(std::string s) {
    for (char& c : s)
        if (c == '|' || c == '\n' || c == '\r' || c == '\t') c = ' ';
    return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (a == "--verbose" || a == "-v") opt.verbose = true;
        else if (a == "--no-fork") opt.fork = false;
        else if (a == "--dynamic-range") opt.dynamicRange = true;
        else if (a == "--support-only") opt.supportOnly = true;
        else if (a == "--data" && (v = value())) opt.data = v;
        else if (a == "--expectations" && (v = value())) opt.expectations = v;
        else if (a == "--table" && (v = value())) opt.table = v;
        else if (a == "--filter" && (v = value())) opt.filter = v;
        else if (a == "--write-expectations" && (v = value())) opt.writeExpectations = v;
        else if (a == "--jobs" && (v = value())) opt.jobs = std::max(1, std::atoi(v));
        else if (a == "--per-process" && (v = value())) opt.perProcess = std::max(1, std::atoi(v));
        else if (a == "--timeout" && (v = value())) opt.timeout = std::max(1.0, std::atof(v));
        else if (a == "--suite-timeout" && (v = value())) opt.suiteBudget = std::max(1, std::atoi(v));
        else if (a == "--backend" && (v = value())) {
#ifdef KILN_HAVE_CUDA
            if (std::string(v) != "cpu" && std::string(v) != "cuda") return usage("--backend is cpu or cuda");
            opt.cuda = std::string(v) == "cuda";
#else
            if (std::string(v) != "cpu") return usage("only --backend cpu is supported (built without CUDA)");
#endif
        } else return usage(("unknown argument (or missing value) " + a).c_str());
    }

    signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill the runner mid-suite
    if (!fs::is_directory(opt.data)) {
        // A user's clone has no ../shared: say so and do not fail.
        std::cout << "kiln_conformance: data directory " << opt.data << " not found; skipping the suite\n"
                  << "onnx-conformance: 0 passed, 0 failed, 0 skipped" << std::endl;
        return 0;
    }
    Expectations exp;
    std::string error;
    if (opt.writeExpectations.empty() && !readExpectations(opt.expectations, exp, error)) {
        std::cerr << "kiln_conformance: " << error << "\n";
        return 2;
    }

    std::vector<Test> tests;
    for (const char* suite : {"node", "simple", "pytorch-operator", "pytorch-converted"}) {
        std::error_code ec;
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(opt.data + "/" + suite, ec))
            if (fs::exists(e.path() / "model.onnx")) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            Test t{suite, n, opt.data + "/" + suite + "/" + n, {}, {}};
            if (opt.filter.empty() || t.key().find(opt.filter) != std::string::npos) tests.push_back(std::move(t));
        }
    }

    std::vector<size_t> todo;
    for (size_t i = 0; i < tests.size(); ++i) {
        Test& t = tests[i];
        std::string scanError;
        if (!scanModel(t.dir + "/model.onnx", t.info, scanError)) {
            t.result = {Status::kFail, "model.onnx: " + scanError};
            continue;
        }
        // A skip comes only from the expectations file (or, when regenerating
        // it, from the scan), so nothing is skipped silently.
        const auto listed = exp.skips.find(t.key());
        const std::string reason = !opt.writeExpectations.empty() ? t.info.skipReason
                                   : listed != exp.skips.end() ? listed->second : "";
        if (!reason.empty()) {
            t.result = {Status::kSkip, reason};
            if (opt.verbose) std::cout << "SKIP " << t.key() << " " << reason << std::endl;
            // A stale skip line would hide a runnable test: say so loudly.
            if (reason != t.info.skipReason)
                std::cout << "kiln_conformance: warning: " << t.key() << " is listed as skip (" << reason
                          << ") but the model scan finds " << (t.info.skipReason.empty() ? "no skip reason" : t.info.skipReason)
                          << std::endl;
        } else {
            todo.push_back(i);
        }
    }
    runAll(tests, todo, opt);

    int passed = 0, failed = 0, skipped = 0, knownFailed = 0, fixed = 0;
    for (const Test& t : tests) {
        if (t.result.status == Status::kPass) ++passed, fixed += exp.fails.count(t.key()) ? 1 : 0;
        else if (t.result.status == Status::kSkip) ++skipped;
        else ++failed, knownFailed += exp.fails.count(t.key()) ? 1 : 0;
    }

    if (!opt.table.empty()) {
        // FILE.tsv gets tab-separated columns, anything else a markdown table.
        const bool tsv = opt.table.size() > 4 && opt.table.substr(opt.table.size() - 4) == ".tsv";
        std::ofstream tab(opt.table);
        tab << (tsv ? "suite\ttest\tstatus\tdetail\n" : "| suite | test | status | reason / first error |\n|---|---|---|---|\n");
        for (const Test& t : tests)
            tab << (tsv ? "" : "| ") << t.suite << (tsv ? "\t" : " | ") << t.name << (tsv ? "\t" : " | ")
                << statusName(t.result.status) << (tsv ? "\t" : " | ") << cell(t.result.detail) << (tsv ? "\n" : " |\n");
        if (!tab) std::cerr << "kiln_conformance: cannot write " << opt.table << "\n";
    }
    if (!opt.writeExpectations.empty()) {
        std::vector<std::pair<std::string, TestResult>> results;
        for (const Test& t : tests) results.emplace_back(t.key(), t.result);
        const std::string regenerate = std::string("kiln_conformance ") + (opt.cuda ? "--backend cuda " : "") +
                                       (opt.supportOnly ? "--support-only " : "") + "--write-expectations " +
                                       opt.writeExpectations;
        if (!writeExpectations(opt.writeExpectations, regenerate, passed, results, error)) std::cerr << "kiln_conformance: " << error << "\n";
    }

    // Notes first: the summary is the last line, for CI logs and scripts.
    if (opt.writeExpectations.empty() && failed > knownFailed)
        std::cout << "kiln_conformance: " << failed - knownFailed << " failure(s) not listed in the expectations file\n";
    if (fixed > 0)
        std::cout << "kiln_conformance: " << fixed << " test(s) listed as `fail` now pass; regenerate the expectations"
                  << " file (--write-expectations) to raise min-passed\n";
    // A --filter run is partial: min-passed applies to the whole suite only.
    const bool belowMin = opt.writeExpectations.empty() && opt.filter.empty() && passed < exp.minPassed;
    if (belowMin) std::cout << "kiln_conformance: " << passed << " passed < min-passed " << exp.minPassed << "\n";
    if (opt.dynamicRange) {
        int dynamicPasses = 0;
        for (const auto& t : tests) dynamicPasses += t.result.status == Status::kPass && t.result.detail == kDynamicPass;
        std::cout << "onnx-conformance --dynamic-range: " << dynamicPasses
                  << " of the passes ran on engines whose declared-dynamic dims span [1, 2x] the test's extents\n";
    }
    std::cout << "onnx-conformance: " << passed << " passed, " << failed << " failed, " << skipped << " skipped"
              << std::endl;
    if (belowMin) return 1;
    return 0;
}
