// kiln_conformance: runs the ONNX backend conformance suite on the CPU backend.
//
//   kiln_conformance [--data DIR] [--expectations FILE] [--table FILE]
//                    [--filter SUBSTRING] [--backend cpu] [--jobs N]
//                    [--timeout SECONDS] [--suite-timeout SECONDS] [--verbose] [--no-fork]
//                    [--write-expectations FILE] [--dynamic-range]
//
// Every test runs in a forked child: a crash (the parser is young) or a hang
// becomes that test's FAIL instead of ending the run, and the per-test time
// budget is enforced by killing the child. The parent never touches kiln, so
// forking is safe (no kiln/oneDNN threads exist in it).
//
// Suites: node, simple, pytorch-operator, pytorch-converted under --data
// (default KILN_SHARED_DATA/onnx-backend; absent data: a message and exit 0).
// A test is skipped only when the expectations file lists it as `skip`; known
// failures (`fail` lines) count as failed but do not fail the run.
// --dynamic-range: inputs the model declares dynamic get profiles spanning
// [1, 2x] their test extents, so the engines really serve a range of shapes.
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
    double timeout = 10;  // seconds per test; a hang must not eat the 5-minute CI budget
    int suiteBudget = 240;  // seconds for all tests together
    bool verbose = false, fork = true;
    bool cuda = false;
    bool dynamicRange = false;
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
                 "       [--backend cpu] [--jobs N] [--timeout SECONDS] [--suite-timeout SECONDS]\n"
                 "       [--verbose] [--no-fork] [--dynamic-range]\n"
                 "       [--write-expectations FILE]\n";
    return 2;
}

// Child side: runs the test and sends "P|F<tab>detail" through the pipe.
void childMain(int fd, const Test& t, const RunOptions& ro) {
    TestResult r;
    try {
        r = runTest(t.dir, t.info, ro);
    } catch (const std::exception& e) {
        r = {Status::kFail, std::string("exception: ") + e.what()};
    } catch (...) {
        r = {Status::kFail, "unknown exception"};
    }
    std::string msg = std::string(r.status == Status::kPass ? "P" : "F") + "\t" + r.detail;
    const char* p = msg.data();
    size_t left = msg.size();
    while (left > 0) {
        const ssize_t n = write(fd, p, left);
        if (n <= 0) break;
        p += n, left -= static_cast<size_t>(n);
    }
    close(fd);
    _exit(0);  // skip atexit/static destructors of the half-used libraries
}

struct Child {
    pid_t pid = -1;
    int fd = -1;
    size_t test = 0;
    std::string out;
    std::chrono::steady_clock::time_point deadline;
    bool timedOut = false;
};

TestResult finish(Child& c, double timeout) {
    int st = 0;
    while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
    }
    close(c.fd);
    if (c.timedOut) return {Status::kFail, "timed out after " + std::to_string(static_cast<int>(timeout)) + " s"};
    if (WIFSIGNALED(st))
        return {Status::kFail, std::string("crashed: signal ") + std::to_string(WTERMSIG(st)) + " (" +
                                   strsignal(WTERMSIG(st)) + ")"};
    if (c.out.size() < 2 || (c.out[0] != 'P' && c.out[0] != 'F'))
        return {Status::kFail, "child exited (status " + std::to_string(WEXITSTATUS(st)) + ") without a result"};
    return {c.out[0] == 'P' ? Status::kPass : Status::kFail, c.out.substr(2)};
}

// Runs tests[i] for every i in `todo`, up to opt.jobs at once.
void runAll(std::vector<Test>& tests, const std::vector<size_t>& todo, const Options& opt) {
    const RunOptions ro{opt.verbose, opt.cuda, opt.dynamicRange};
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
    std::vector<Child> running;
    const pid_t parent = getpid();
    size_t next = 0;
    // The whole suite must stay well inside CI's 5 minutes even if many tests
    // hang: past the suite budget, the tests not started fail (never silently).
    const auto suiteEnd = std::chrono::steady_clock::now() + std::chrono::seconds(opt.suiteBudget);
    while (next < todo.size() || !running.empty()) {
        if (std::chrono::steady_clock::now() > suiteEnd)
            for (; next < todo.size(); ++next)
                tests[todo[next]].result = {Status::kFail, "not run: suite time budget exhausted"};
        while (next < todo.size() && static_cast<int>(running.size()) < opt.jobs) {
            int fds[2];
            std::cout.flush();
            std::cerr.flush();
            if (pipe(fds) != 0) {
                tests[todo[next++]].result = {Status::kFail, "pipe() failed"};
                continue;
            }
            const pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                // Never outlive the runner (killed, or stdout closed under
                // `| head`), and end on our own shortly after the budget.
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent) _exit(1);
                alarm(static_cast<unsigned>(opt.timeout) + 5);
                childMain(fds[1], tests[todo[next]], ro);
            }
            close(fds[1]);
            if (pid < 0) {
                close(fds[0]);
                tests[todo[next++]].result = {Status::kFail, "fork() failed"};
                continue;
            }
            Child c;
            c.pid = pid, c.fd = fds[0], c.test = todo[next++];
            c.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(opt.timeout * 1000));
            running.push_back(std::move(c));
        }
        std::vector<pollfd> pfds;
        for (auto& c : running) pfds.push_back({c.fd, POLLIN, 0});
        poll(pfds.data(), pfds.size(), 100);
        const auto now = std::chrono::steady_clock::now();
        for (size_t k = 0; k < running.size();) {
            Child& c = running[k];
            bool eof = false;
            if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[4096];
                const ssize_t n = read(c.fd, buf, sizeof buf);
                if (n > 0) c.out.append(buf, static_cast<size_t>(n));
                else eof = true;
            }
            if (!eof && now > c.deadline) {
                kill(c.pid, SIGKILL);  // our own child, by its pid
                c.timedOut = eof = true;
            }
            if (eof) {
                tests[c.test].result = finish(c, opt.timeout);
                if (opt.verbose)
                    std::cout << statusName(tests[c.test].result.status) << " " << tests[c.test].key() << " "
                              << tests[c.test].result.detail << std::endl;
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
        else if (a == "--data" && (v = value())) opt.data = v;
        else if (a == "--expectations" && (v = value())) opt.expectations = v;
        else if (a == "--table" && (v = value())) opt.table = v;
        else if (a == "--filter" && (v = value())) opt.filter = v;
        else if (a == "--write-expectations" && (v = value())) opt.writeExpectations = v;
        else if (a == "--jobs" && (v = value())) opt.jobs = std::max(1, std::atoi(v));
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
        if (!writeExpectations(opt.writeExpectations, passed, results, error)) std::cerr << "kiln_conformance: " << error << "\n";
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
