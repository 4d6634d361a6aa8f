// The master rank of `mpirun -np N gradnet search`: the one process that opens study.db. It answers
// the worker ranks' requests (mpi_protocol.h) with a TrialQueue per rank, whose worker id is that
// rank's process ("host:pid"), so the store reads as if N - 1 `gradnet worker` processes had run
// the study and `gradnet search --resume` or `gradnet worker` can continue it. The store heartbeat
// of a rank's trial is refreshed while the rank keeps sending; a rank whose process is gone (same
// host) or that is silent for heartbeat_timeout is given up, and the queue re-queues its trial for
// the others (under mpirun --enable-recovery the job outlives a dead rank; by default mpirun ends it).
#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gradnet/dist.h"
#include "gradnet/error.h"
#include "mpi_protocol.h"
#include "queue.h"
#include "store.h"

namespace gradnet::search {
namespace {

using nlohmann::json;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct WorkerRank {
  std::unique_ptr<TrialQueue> queue;  // after its hello
  std::string worker;                 // "host:pid"
  std::int64_t trial = -1;            // the trial it trains, -1 between trials
  double heard = 0;                   // when its last message came
  double beaten = 0;                  // when its trial's store heartbeat was last written
  bool done = false;                  // said bye, or given up
};

json claim_json(const Claim& c) {
  if (c.kind == Claim::wait) return {{"kind", "wait"}};
  if (c.kind == Claim::finished) return {{"kind", "finished"}, {"why", c.why}};
  return {{"kind", "trial"},           {"number", c.record.number},     {"stage", c.record.stage},
          {"params", params_to_json(c.record.params)}, {"run_dir", c.record.run_dir},
          {"attempts", c.record.attempts}};
}

class Master {
 public:
  Master(const std::string& dir, const WorkerOptions& options)
      : comm_(world()), dir_(dir), options_(options), ranks_(static_cast<std::size_t>(comm_.size())) {
    Database db = open_store(dir);
    const StudySettings s = read_settings(db);
    spec_ = parse_search_spec(s.spec_text, s.spec_path, s.base_config);
    ranks_[0].done = true;  // the master trains nothing
    for (auto& r : ranks_) r.heard = seconds_now();
  }

  int run() {
    double checked = seconds_now();
    while (!all_done()) {
      const int signal = options_.signal_flag ? options_.signal_flag->load() : 0;
      if (signal != 0 && !stopping_) stop_all(signal);
      if (auto m = comm_.receive(-1, mpi::tag_request, 0.25)) serve(*m);
      if (seconds_now() - checked >= 1.0) {
        give_up_silent_ranks();
        checked = seconds_now();
      }
    }
    if (stopping_) return 128 + stopping_;
    if (given_up_ == comm_.size() - 1) {
      fmt::print(stderr, "gradnet: error: every worker rank is gone; gradnet search --resume {} continues the study\n",
                 dir_);
      return 1;
    }
    return 0;
  }

 private:
  bool all_done() const {
    for (const auto& r : ranks_)
      if (!r.done) return false;
    return true;
  }

  void stop_all(int signal) {
    stopping_ = signal;
    for (int k = 1; k < comm_.size(); ++k)
      if (!ranks_[static_cast<std::size_t>(k)].done) comm_.send(k, mpi::tag_stop, json{{"signal", signal}}.dump());
  }

  void serve(const Message& m) {
    WorkerRank& r = ranks_[static_cast<std::size_t>(m.source)];
    const json request = json::parse(m.body, nullptr, false);
    const std::string op = request.is_object() ? request.value("op", "") : "";
    const bool answers = op != "beat" && op != "bye";
    json reply;
    try {
      GRADNET_CHECK(!op.empty(), runtime, "rank {} sent a malformed request", m.source);
      GRADNET_CHECK(!r.done || op == "bye", runtime, "the search master gave up on rank {} (silent for {:.0f} s)",
                    m.source, spec_.heartbeat_timeout);
      r.heard = seconds_now();
      reply = answer(m.source, r, op, request);
    } catch (const Error& e) {
      reply = {{"error", e.what()}};
      if (!answers) fmt::print(stderr, "gradnet: warning: rank {}: {}\n", m.source, e.what());
    }
    if (answers) comm_.send(m.source, mpi::tag_reply, reply.dump());
  }

  json answer(int rank, WorkerRank& r, const std::string& op, const json& q) {
    if (op == "hello") {
      r.worker = q.at("worker").get<std::string>();
      r.queue = std::make_unique<TrialQueue>(dir_, spec_, r.worker);
      return json::object();
    }
    if (op == "bye") return said_bye(rank, r, q.value("error", ""));
    GRADNET_CHECK(r.queue != nullptr, runtime, "rank {} sent '{}' before its hello", rank, op);
    if (r.trial >= 0 && r.heard - r.beaten >= mpi::heartbeat_period(spec_.heartbeat_timeout)) {
      r.queue->beat(r.trial);
      r.beaten = r.heard;
    }
    if (op == "beat") return json::object();
    if (op == "next") {
      if (stopping_)
        return {{"kind", "finished"}, {"why", fmt::format("interrupted by signal {}", stopping_)},
                {"lost_rank", given_up_ > 0}};
      const Claim c = r.queue->next();
      if (c.kind == Claim::trial) {
        r.trial = c.record.number;
        r.beaten = r.heard;
      }
      json reply = claim_json(c);
      if (c.kind == Claim::finished && given_up_ > 0) reply["lost_rank"] = true;  // see note_lost_rank
      return reply;
    }
    if (op == "report") {
      r.queue->report(q.at("number"), q.at("epoch"), q.at("value"));
      return json::object();
    }
    if (op == "values_at") return {{"values", r.queue->values_at(q.at("stage"), q.at("epoch"), q.at("except"))}};
    if (op == "finish") {
      const std::optional<double> value = q.at("value").is_number() ? std::optional<double>(q["value"]) : std::nullopt;
      const TrialState state = trial_state_from(q.at("state"), fmt::format("rank {}'s finish", rank));
      r.trial = -1;
      return {{"owned", r.queue->finish(q.at("number"), state, value, q.value("message", ""))}};
    }
    if (op == "release") {
      r.queue->release(q.at("number"), q.value("message", ""));
      r.trial = -1;
      return json::object();
    }
    throw Error(ErrorKind::runtime, fmt::format("rank {} sent an unknown request '{}'", rank, op));
  }

  json said_bye(int rank, WorkerRank& r, const std::string& error) {
    r.done = true;
    if (!error.empty()) fmt::print(stderr, "gradnet: warning: worker rank {} stopped: {}\n", rank, error);
    if (r.trial >= 0 && r.queue) {  // it failed between claiming a trial and finishing it
      r.queue->release(r.trial, fmt::format("worker rank {} stopped: {}", rank, error));
      r.trial = -1;
    }
    return json::object();
  }

  // A rank whose process has gone (on this host) or that has been silent for heartbeat_timeout:
  // the queue re-queues its trial when another rank next asks for one.
  void give_up_silent_ranks() {
    const double now = seconds_now();
    for (std::size_t k = 1; k < ranks_.size(); ++k) {
      WorkerRank& r = ranks_[k];
      if (r.done) continue;
      std::string why;
      if (!r.worker.empty() && worker_is_gone(r.worker)) why = fmt::format("its process {} has died", r.worker);
      else if (now - r.heard > spec_.heartbeat_timeout)
        why = fmt::format("it sent nothing for {:.0f} s", now - r.heard);
      if (why.empty()) continue;
      r.done = true;
      ++given_up_;
      note_lost_rank();
      fmt::print(stderr, "gradnet: warning: worker rank {} is gone ({}){}\n", k, why,
                 r.trial >= 0 ? fmt::format("; trial {} goes back to the queue", r.trial) : std::string());
    }
  }

  Communicator& comm_;
  std::string dir_;
  const WorkerOptions& options_;
  SearchSpec spec_;
  std::vector<WorkerRank> ranks_;
  int stopping_ = 0;  // the signal that interrupted the master
  int given_up_ = 0;  // worker ranks found dead or silent
};

}  // namespace

MpiStudy mpi_study(const std::string& dir) {
  Database db = open_store(dir);
  const StudySettings s = read_settings(db);
  return {std::filesystem::absolute(dir).lexically_normal().string(), s.spec_text, s.spec_path, s.base_config};
}

int run_mpi_master(const std::string& dir, const WorkerOptions& options) { return Master(dir, options).run(); }

}  // namespace gradnet::search
