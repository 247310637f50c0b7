#include "lease_writer.h"

#include "util/log.h"

namespace dstm::server {

void LeaseWriter::put(const lease::Lease& l, Done done) {
  ops_.push_back(Op{true, l, std::move(done)});
  schedule();
}

void LeaseWriter::remove(net::Ipv4Address ipv4, Done done) {
  lease::Lease l;
  l.ipv4 = ipv4;
  ops_.push_back(Op{false, l, std::move(done)});
  schedule();
}

void LeaseWriter::schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  // post: runs after every handler already queued, so a burst of requests shares one commit.
  asio::post(io_, [this] { flush(); });
}

void LeaseWriter::flush() {
  scheduled_ = false;
  std::vector<Op> ops;
  ops.swap(ops_);
  if (ops.empty()) return;
  bool ok = static_cast<bool>(store_.begin());
  for (const auto& op : ops) {
    if (!ok) break;
    auto r = op.put ? store_.put(op.lease) : store_.remove(op.lease.ipv4);
    if (!r) {
      log::error("lease store: " + r.error());
      ok = false;
    }
  }
  if (ok) {
    auto c = store_.commit();
    if (!c) {
      log::error("lease store: commit: " + c.error());
      ok = false;
    }
  } else if (store_.in_batch()) {
    (void)store_.rollback();
  }
  ++batches_;
  writes_ += ops.size();
  if (!ok) failures_ += ops.size();
  for (auto& op : ops) op.done(ok);
}

}  // namespace dstm::server
