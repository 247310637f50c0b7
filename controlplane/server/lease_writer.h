// Group commit for the lease store: writes asked for during one turn of the event loop go to
// SQLite in one transaction at the end of the turn, and their callbacks run after COMMIT
// returned (issue #5: "a batch is durable before any of its answers go out"). One fsync per
// batch instead of one per lease is what makes tens of thousands of durable allocations per
// second possible.
#pragma once

#include <asio.hpp>

#include <functional>
#include <vector>

#include "lease/lease.h"

namespace dstm::server {

class LeaseWriter {
 public:
  using Done = std::function<void(bool durable)>;
  LeaseWriter(asio::io_context& io, lease::LeaseStore& store) : io_(io), store_(store) {}
  void put(const lease::Lease& l, Done done);
  void remove(net::Ipv4Address ipv4, Done done);
  std::uint64_t batches() const { return batches_; }
  std::uint64_t writes() const { return writes_; }
  std::uint64_t failures() const { return failures_; }

 private:
  struct Op {
    bool put;
    lease::Lease lease;
    Done done;
  };
  void schedule();
  void flush();

  asio::io_context& io_;
  lease::LeaseStore& store_;
  std::vector<Op> ops_;
  bool scheduled_ = false;
  std::uint64_t batches_ = 0, writes_ = 0, failures_ = 0;
};

}  // namespace dstm::server
