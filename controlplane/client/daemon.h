// dstm-client's daemon: the state machine, the TSP link under it and the DTI it drives, on
// one asio event loop. main.cpp adds the lock file, the control socket and the signals.
#pragma once

#include <asio.hpp>

#include <memory>
#include <optional>

#include "client_machine.h"
#include "config.h"
#include "dti.h"
#include "json/json.h"
#include "tsp_link.h"

namespace dstm::client {

class Daemon {
 public:
  Daemon(asio::io_context& io, const ClientConfig& config, MachineConfig machine_config, std::unique_ptr<Dti> dti);
  // Asks for a lease (flow 1) and keeps it.
  void start();
  // --static-lease: no TSP; the DTI up for `lease` until stop(). False when it cannot.
  bool start_static(const Lease& lease);
  // Tears the DTI down and closes the session; the loop may then end.
  void stop();
  json::Value status() const;
  const ClientMachine& machine() const { return machine_; }
  const Dti& dti() const { return *dti_; }

 private:
  void process();
  void arm();

  const ClientConfig& config_;
  tsp::sasl::OpenSslNonceSource nonces_;
  ClientMachine machine_;
  TspLink link_;
  std::unique_ptr<Dti> dti_;
  asio::steady_timer timer_;
  std::optional<Lease> static_lease_;
};

}  // namespace dstm::client
