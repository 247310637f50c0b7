// dstm::daemon::GroupCommit — writes asked for during one turn of the event loop go to an
// SQLite store in one transaction at the end of the turn, and their callbacks run after COMMIT
// returned: durable before any answer goes out (issue #5), one fsync per batch instead of one
// per write. Store needs begin(), commit(), rollback() and in_batch() returning
// Expected<void, std::string> / bool (lease::LeaseStore, agent::MappingStore).
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/expected.h"
#include "util/log.h"

namespace dstm::daemon {

template <class Store>
class GroupCommit {
 public:
  using Write = std::function<Expected<void, std::string>(Store&)>;
  using Done = std::function<void(bool durable)>;

  GroupCommit(asio::io_context& io, Store& store, std::string what)
      : io_(io), store_(store), what_(std::move(what)) {}

  void write(Write w, Done done) {
    ops_.push_back(Op{std::move(w), std::move(done)});
    if (scheduled_) return;
    scheduled_ = true;
    // post: runs after every handler already queued, so a burst of requests shares one commit.
    asio::post(io_, [this] { flush(); });
  }

  std::uint64_t batches() const { return batches_; }
  std::uint64_t writes() const { return writes_; }
  std::uint64_t failures() const { return failures_; }

 private:
  struct Op {
    Write write;
    Done done;
  };

  void flush() {
    scheduled_ = false;
    std::vector<Op> ops;
    ops.swap(ops_);
    if (ops.empty()) return;
    bool ok = true;
    if (auto b = store_.begin(); !b) {
      log::error(what_ + ": " + b.error());
      ok = false;
    }
    for (auto& op : ops) {
      if (!ok) break;
      if (auto r = op.write(store_); !r) {
        log::error(what_ + ": " + r.error());
        ok = false;
      }
    }
    if (ok) {
      if (auto c = store_.commit(); !c) {
        log::error(what_ + ": commit: " + c.error());
        ok = false;
      }
    } else if (store_.in_batch()) {
      (void)store_.rollback();  // all or nothing: the whole batch is answered as failed
    }
    ++batches_;
    writes_ += ops.size();
    if (!ok) failures_ += ops.size();
    for (auto& op : ops) op.done(ok);
  }

  asio::io_context& io_;
  Store& store_;
  std::string what_;
  std::vector<Op> ops_;
  bool scheduled_ = false;
  std::uint64_t batches_ = 0, writes_ = 0, failures_ = 0;
};

}  // namespace dstm::daemon
