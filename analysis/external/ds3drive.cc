// Measurement driver for DRAMsim3 (outside archsim; not part of the project).
// Reads a DRAMsim3-format trace ("0xADDR READ|WRITE cycle"), admits requests in trace order
// (as many per cycle as the controller accepts, none before its cycle), runs until every read
// has returned and every queue is empty, and prints one JSON line: cycles, reads, writes,
// read row hits, write row hits, activations, average read latency (cycles, from admission).
#define private public
#define protected public
#include "memory_system.h"
#include "dram_system.h"
#include "controller.h"
#undef private
#undef protected
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <deque>
#include <sstream>
#include <string>
#include <vector>

using namespace dramsim3;

struct Req { uint64_t addr; bool w; uint64_t cyc; };

int main(int argc, char** argv) {
    if (argc < 4) { std::cerr << "usage: ds3drive config.ini trace outdir\n"; return 2; }
    std::vector<Req> reqs;
    std::ifstream f(argv[2]);
    std::string line;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream is(line);
        std::string a, op; uint64_t c = 0;
        is >> a >> op >> c;
        reqs.push_back({std::stoull(a, nullptr, 16), op == "WRITE", c});
    }
    uint64_t clk = 0, reads_done = 0, n_reads = 0, lat_sum = 0, last_read = 0;
    for (auto& r : reqs) n_reads += !r.w;
    std::map<uint64_t, std::deque<uint64_t>> pending;
    auto rcb = [&](uint64_t addr) {
        auto& q = pending[addr];
        lat_sum += clk - q.front(); q.pop_front();
        reads_done++; last_read = clk;
    };
    auto wcb = [&](uint64_t) {};
    MemorySystem mem(argv[1], argv[3], rcb, wcb);
    auto* sys = static_cast<JedecDRAMSystem*>(mem.dram_system_);
    size_t idx = 0;
    uint64_t idle_clk = 0, undrained = 0;
    while (true) {
        while (idx < reqs.size() && reqs[idx].cyc <= clk &&
               mem.WillAcceptTransaction(reqs[idx].addr, reqs[idx].w)) {
            mem.AddTransaction(reqs[idx].addr, reqs[idx].w);
            if (!reqs[idx].w) pending[reqs[idx].addr].push_back(clk);
            idx++;
        }
        mem.ClockTick();
        clk++;
        if (idx == reqs.size() && reads_done == n_reads) {
            // DRAMsim3 drains its write buffer only when it is full or holds more than 8
            // writes while the command queues are empty: up to 8 writes can stay buffered
            // forever once the trace ends (and stay in pending_wr_q_). Stop when nothing else is left
            // and count them.
            bool idle = true;
            for (auto* c : sys->ctrls_) {
                idle = idle && c->read_queue_.empty() && c->write_buffer_.size() <= 8 &&
                       c->unified_queue_.empty() &&
                       c->cmd_queue_.QueueEmpty() &&
                       c->pending_wr_q_.size() == c->write_buffer_.size() &&
                       c->return_queue_.empty();
            }
            if (idle) {
                for (auto* c : sys->ctrls_) undrained += c->write_buffer_.size();
                idle_clk = clk;
                break;
            }
        }
        if (clk > 50000000ull) { std::cerr << "runaway at " << clk << " reads " << reads_done << "/" << n_reads << " idx " << idx << "\n"; return 1; }
    }
    mem.PrintStats();
    uint64_t rh = 0, wh = 0, act = 0, wr = 0, rd = 0;
    for (auto* c : sys->ctrls_) {
        rh += c->simple_stats_.counters_["num_read_row_hits"];
        wh += c->simple_stats_.counters_["num_write_row_hits"];
        act += c->simple_stats_.counters_["num_act_cmds"];
        rd += c->simple_stats_.counters_["num_read_cmds"];
        wr += c->simple_stats_.counters_["num_write_cmds"];
    }
    printf("{\"cycles\": %llu, \"last_read\": %llu, \"reads\": %llu, \"writes\": %llu, "
           "\"read_row_hits\": %llu, \"write_row_hits\": %llu, \"activations\": %llu, "
           "\"avg_read_latency\": %.3f, \"undrained_writes\": %llu}\n",
           (unsigned long long)idle_clk, (unsigned long long)last_read, (unsigned long long)rd,
           (unsigned long long)wr, (unsigned long long)rh, (unsigned long long)wh,
           (unsigned long long)act, n_reads ? double(lat_sum) / n_reads : 0.0,
           (unsigned long long)undrained);
    return 0;
}
