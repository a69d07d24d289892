#!/usr/bin/env python3
"""An outside client of Orion's gRPC faces, written with Python's grpcio as a customer would.

Starts a real `orion up` (the binary of ORION_BIN, else $CARGO_TARGET_DIR/debug/orion), compiles
proto/v1 with grpc_tools, and checks: health SERVING overall and per service; reflection lists
every service; no token is UNAUTHENTICATED; a buy through the market makers' asks fills, with the
correlation id the client sent on the events it committed; the same idempotency key answers the
same order; an analyst may not trade (PERMISSION_DENIED); another tenant's order is NOT_FOUND; a
1 ms deadline ends with DEADLINE_EXCEEDED; an RFQ is created, its quotes watched, one accepted and
the trade read back; the correlation ids the client sent are on the events it committed, read
back from the Kafka-protocol broker (tansu, ORION_TANSU_BIN) the server publishes to. Exits
non-zero on the first failure.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_tools import protoc

REPO = pathlib.Path(__file__).resolve().parents[3]


def orion_binary():
    if os.environ.get("ORION_BIN"):
        return os.environ["ORION_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "orion")


def stubs(out):
    """Generates the Python messages and stubs of proto/v1 into `out`."""
    proto = REPO / "proto" / "v1"
    args = ["protoc", f"-I{proto}", f"--python_out={out}", f"--grpc_python_out={out}"]
    args += [str(proto / name) for name in ("common.proto", "marketdata.proto", "orders.proto", "rfq.proto", "execution.proto")]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, str(out))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_broker(work):
    """A tansu broker (ORION_TANSU_BIN) on a free port; its process and address."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    child = subprocess.Popen(
        [os.environ["ORION_TANSU_BIN"], "broker", "--listener-url", url,
         "--advertised-listener-url", url, "--storage-engine", "sqlite://tansu.db"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return child, f"127.0.0.1:{port}"
        except OSError:
            if time.time() > deadline:
                raise SystemExit("tansu did not listen")
            time.sleep(0.05)


def envelopes(brokers, topics, wanted, seconds=30):
    """Reads `topics` from the start until every (correlation id, event type) of `wanted` was
    seen on Kafka; returns what was seen per correlation id."""
    from confluent_kafka import Consumer
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"outside-{os.getpid()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(topics)
    seen = {}
    deadline = time.time() + seconds
    try:
        while time.time() < deadline and not wanted <= {(c, t) for c, ts in seen.items() for t in ts}:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            envelope = json.loads(message.value())
            seen.setdefault(envelope["correlationId"], set()).add(envelope["eventType"])
    finally:
        consumer.close()
    return seen


def start(data_dir, brokers):
    child = subprocess.Popen(
        [orion_binary(), "up", "--http-addr", "127.0.0.1:0", "--quic-addr", "127.0.0.1:0",
         "--grpc-addr", "127.0.0.1:0", "--data-dir", data_dir, "--kafka-brokers", brokers],
        env={**os.environ, "ORION_WEB_BUILD": "off", "RUST_LOG": "warn"},
        stdout=subprocess.PIPE, text=True)
    http = grpc_addr = None
    while http is None or grpc_addr is None:
        line = child.stdout.readline()
        if not line:
            raise SystemExit("orion exited before its banner")
        if line.startswith("Orion is up: http://"):
            http = line.split("http://", 1)[1].strip()
        if line.strip().startswith("gRPC:"):
            grpc_addr = line.split(":", 1)[1].strip()
    threading.Thread(target=lambda: [None for _ in child.stdout], daemon=True).start()
    return child, http, grpc_addr


def login(http, user):
    body = json.dumps({"username": user, "password": "demo"}).encode()
    request = urllib.request.Request(f"http://{http}/auth/login", body, {"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["accessToken"]


def expect_code(call, code, what):
    try:
        call()
    except grpc.RpcError as err:
        assert err.code() == code, f"{what}: {err.code()} {err.details()}"
        return err
    raise AssertionError(f"{what}: the call succeeded")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        stubs(tmp)
        import common_pb2
        import execution_pb2
        import execution_pb2_grpc
        import marketdata_pb2
        import marketdata_pb2_grpc
        import orders_pb2
        import orders_pb2_grpc
        import rfq_pb2
        import rfq_pb2_grpc

        broker, brokers = start_broker(tmp)
        child, http, address = start(os.path.join(tmp, "data"), brokers)
        try:
            channel = grpc.insecure_channel(address)
            grpc.channel_ready_future(channel).result(timeout=10)
            trader = [("authorization", f"Bearer {login(http, 'trader@acme')}")]

            health = health_pb2_grpc.HealthStub(channel)
            services = ("orion.v1.MarketDataService", "orion.v1.OrderService", "orion.v1.RFQService",
                        "orion.v1.ExecutionService", "orion.v1.PostTradeService", "orion.v1.AdminService")
            for service in ("",) + services:
                status = health.Check(health_pb2.HealthCheckRequest(service=service)).status
                assert status == health_pb2.HealthCheckResponse.SERVING, (service, status)

            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            answer = next(reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
            names = {s.name for s in answer.list_services_response.service}
            for wanted in services + ("grpc.health.v1.Health",):
                assert wanted in names, (wanted, names)

            market = marketdata_pb2_grpc.MarketDataServiceStub(channel)
            snapshot = marketdata_pb2.GetSnapshotRequest(instrument_id="EUR/USD")
            expect_code(lambda: market.GetSnapshot(snapshot), grpc.StatusCode.UNAUTHENTICATED, "no token")

            deadline = time.time() + 20
            while True:
                depth = market.GetDepth(marketdata_pb2.GetDepthRequest(instrument_id="EUR/USD", levels=10), metadata=trader)
                if len(depth.asks) >= 5:
                    break
                assert time.time() < deadline, "the market makers never quoted"
                time.sleep(0.1)
            through = f"{float(depth.asks[0].price) + 0.001:.5f}"

            orders = orders_pb2_grpc.OrderServiceStub(channel)

            def buy(key, qty="2000000"):
                return orders_pb2.PlaceOrderRequest(
                    instrument_id="EUR/USD", side=common_pb2.BUY, type=orders_pb2.LIMIT, qty=qty,
                    limit_price=through, time_in_force=orders_pb2.GTC, idempotency_key=key)

            correlation = "py-grpc-" + str(os.getpid())
            placed = orders.PlaceOrder(buy("py-1"), metadata=trader + [("x-correlation-id", correlation)])
            assert placed.status == "FILLED" and placed.filled_qty == "2000000.00", placed
            assert placed.correlation_id == correlation, placed.correlation_id
            again = orders.PlaceOrder(buy("py-1"), metadata=trader)
            assert again.order_id == placed.order_id, (again, placed)
            fills = orders.GetOrder(orders_pb2.GetOrderRequest(order_id=placed.order_id), metadata=trader).fills
            assert sum(float(f.qty) for f in fills) == 2_000_000, fills

            analyst = [("authorization", f"Bearer {login(http, 'analyst@acme')}")]
            expect_code(lambda: orders.PlaceOrder(buy("py-2"), metadata=analyst), grpc.StatusCode.PERMISSION_DENIED, "analyst trades")
            globex = [("authorization", f"Bearer {login(http, 'trader@globex')}")]
            expect_code(lambda: orders.GetOrder(orders_pb2.GetOrderRequest(order_id=placed.order_id), metadata=globex),
                        grpc.StatusCode.NOT_FOUND, "another tenant's order")
            expect_code(lambda: orders.PlaceOrder(buy("py-3", "30000000"), metadata=trader),
                        grpc.StatusCode.FAILED_PRECONDITION, "oversize order")
            expect_code(lambda: orders.PlaceOrder(buy("py-4"), metadata=trader, timeout=0.001),
                        grpc.StatusCode.DEADLINE_EXCEEDED, "a 1 ms deadline")

            # An RFQ: create, watch the LP quotes arrive, accept the first, read the trade.
            rfqs = rfq_pb2_grpc.RFQServiceStub(channel)
            rfq_correlation = correlation + "-rfq"
            created = rfqs.CreateRFQ(rfq_pb2.CreateRFQRequest(
                instrument_id="EUR/USD", side=common_pb2.BUY, size="1000000", expiry_seconds=30),
                metadata=trader + [("x-correlation-id", rfq_correlation)])
            assert created.status == "SENT", created
            watch = rfqs.WatchRFQ(rfq_pb2.WatchRFQRequest(rfq_id=created.rfq_id), metadata=trader, timeout=20)
            quote = next(u.quote for u in watch if u.WhichOneof("detail") == "quote")
            accepted = rfqs.AcceptQuote(rfq_pb2.AcceptQuoteRequest(
                rfq_id=created.rfq_id, quote_id=quote.quote_id, idempotency_key="py-accept-1"),
                metadata=trader + [("x-correlation-id", rfq_correlation + "-accept")])
            assert accepted.status == "TRADED", accepted
            events = [u.event for u in watch]
            assert events[-1] == "TradeExecuted", events
            execution = execution_pb2_grpc.ExecutionServiceStub(channel)
            trade = execution.GetTrade(execution_pb2.GetTradeRequest(trade_id=accepted.trade_id), metadata=trader)
            assert (trade.rfq_id, trade.lp_id, trade.price) == (created.rfq_id, quote.lp_id, quote.price), trade

            # The correlation ids this client sent are on the events in Kafka.
            wanted = {(correlation, t) for t in ("OrderPlaced", "OrderAcknowledged", "OrderFilled")}
            wanted |= {(rfq_correlation, t) for t in ("RFQCreated", "RFQSent")}
            wanted |= {(rfq_correlation + "-accept", t) for t in ("QuoteAccepted", "TradeExecuted")}
            seen = envelopes(brokers, ["dev.oms.orders.v1", "dev.rfq.lifecycle.v1", "dev.execution.trades.v1"], wanted)
            for c, t in sorted(wanted):
                assert t in seen.get(c, set()), (c, t, seen.get(c))
            print("outside grpcio client: health, reflection, auth, orders, RFQ to trade, deadline, correlation ids on Kafka ok")
        finally:
            child.kill()
            child.wait()
            broker.kill()
            broker.wait()


if __name__ == "__main__":
    main()
