#!/usr/bin/env python3
"""Checks heartbeat-demo's OTLP output with OpenTelemetry's own protobuf definitions.

  otlp_check.py file OTLP.jsonl REFERENCE.jsonl SERVICE_NAME
      Every line of OTLP.jsonl must parse, with unknown fields rejected, as an
      ExportLogsServiceRequest or ExportMetricsServiceRequest (alternating, logs first), and
      its values must match the JSON Lines record the same run wrote for the same heartbeat.

  otlp_check.py http RECEIVER_DIR REFERENCE.jsonl DEMO_STDERR
      Every body the receiver got must parse; every heartbeat's two requests must have been
      accepted or counted as dropped in the sink's closing line; retries must be byte-identical
      and must have waited for Retry-After.
"""
import json
import math
import os
import re
import socket
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        if len(failures) <= 20:
            print("otlp_check: FAIL:", message, file=sys.stderr)


def finish(summary):
    if failures:
        print(f"otlp_check: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("otlp_check:", summary)


def parse(text, kind):
    message = ExportLogsServiceRequest() if kind == "logs" else ExportMetricsServiceRequest()
    json_format.Parse(text, message, ignore_unknown_fields=False)
    return message


def any_value(value):
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    raise ValueError(f"unexpected AnyValue {which}")


def attributes(key_values):
    keys = [kv.key for kv in key_values]
    check(len(keys) == len(set(keys)), f"duplicate attribute keys: {keys}")
    return {kv.key: any_value(kv.value) for kv in key_values}


def nanos(timestamp):
    # 2024-05-01T12:00:00.123Z -> ns, exactly (no float rounding).
    from datetime import datetime, timezone
    whole, fraction = timestamp[:-1].split(".")
    seconds = int(datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return (seconds * 1000 + int(fraction)) * 1_000_000


def close(a, b, tolerance=1e-9):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def log_record(request):
    check(len(request.resource_logs) == 1, "one resourceLogs per request")
    resource_logs = request.resource_logs[0]
    check(resource_logs.schema_url == SCHEMA_URL, f"resourceLogs.schemaUrl {resource_logs.schema_url}")
    check(len(resource_logs.scope_logs) == 1, "one scopeLogs")
    scope_logs = resource_logs.scope_logs[0]
    check(scope_logs.scope.name == "ProcessMonitor", f"scope name {scope_logs.scope.name}")
    check(scope_logs.schema_url == SCHEMA_URL, "scopeLogs.schemaUrl")
    check(len(scope_logs.log_records) == 1, "one log record per request")
    return attributes(resource_logs.resource.attributes), scope_logs.log_records[0]


def metric_map(request):
    check(len(request.resource_metrics) == 1, "one resourceMetrics per request")
    resource_metrics = request.resource_metrics[0]
    check(resource_metrics.schema_url == SCHEMA_URL, "resourceMetrics.schemaUrl")
    scope_metrics = resource_metrics.scope_metrics[0]
    check(scope_metrics.scope.name == "ProcessMonitor", "metrics scope name")
    metrics = {}
    for metric in scope_metrics.metrics:
        check(metric.name not in metrics, f"metric {metric.name} twice")
        metrics[metric.name] = metric
    return attributes(resource_metrics.resource.attributes), metrics


def points(metric):
    which = metric.WhichOneof("data")
    return which, list(getattr(metric, which).data_points)


def value(point):
    return point.as_int if point.WhichOneof("value") == "as_int" else point.as_double


def check_against_reference(record_attributes, record, reference, resource, service):
    seq = reference["seq"]
    where = f"seq {seq}"
    check(resource.get("service.name") == service, f"{where}: service.name {resource.get('service.name')!r}")
    check(resource.get("process.pid") == reference["pid"], f"{where}: process.pid {resource.get('process.pid')}")
    check(resource.get("process.executable.name") == "heartbeat-demo", f"{where}: process.executable.name")
    check(resource.get("host.name") == socket.gethostname(), f"{where}: host.name {resource.get('host.name')!r}")
    check(record.time_unix_nano == nanos(reference["timestamp"]), f"{where}: timeUnixNano")
    check(record.observed_time_unix_nano == record.time_unix_nano, f"{where}: observedTimeUnixNano")
    warned = bool(reference["stalls"]) or "processmonitor.warnings" in record_attributes
    check(record.severity_number == (13 if warned else 9), f"{where}: severityNumber {record.severity_number}")
    check(record.severity_text == ("WARN" if warned else "INFO"), f"{where}: severityText {record.severity_text}")
    if reference["stalls"]:
        check(record.severity_text == "WARN", f"{where}: a record with stalls must be WARN")
    if "processmonitor.warnings" not in record_attributes:
        check(record.body.string_value == reference["message"], f"{where}: body {record.body.string_value!r}")
    a = record_attributes
    check(a.get("processmonitor.seq") == seq, f"{where}: processmonitor.seq")
    check(a.get("processmonitor.trigger") == reference["trigger"], f"{where}: trigger")
    check(close(a.get("processmonitor.elapsed_s"), reference["elapsed_s"]), f"{where}: elapsed_s")
    for key in ["rss_bytes", "peak_rss_bytes", "process_threads", "read_bytes", "write_bytes", "instrumented_threads"]:
        check(a.get("processmonitor." + key) == reference[key], f"{where}: {key} {a.get('processmonitor.' + key)} != {reference[key]}")
    check(close(a.get("processmonitor.cpu_cores"), reference["cpu_cores"]), f"{where}: cpu_cores")
    check(a.get("processmonitor.stall_count") == len(reference["stalls"]), f"{where}: stall_count")
    stalls = a.get("processmonitor.stalls", [])
    check(len(stalls) + a.get("processmonitor.stalls_omitted", -1) == len(reference["stalls"]), f"{where}: stalls")
    for mine, theirs in zip(stalls, reference["stalls"]):
        check(mine["thread"] == theirs["thread"] and mine["label"] == theirs["label"]
              and close(mine["stuck_s"], theirs["stuck_s"]), f"{where}: stall {mine} != {theirs}")
    phases = a.get("processmonitor.phases", [])
    check(len(phases) == len(reference["phases"]), f"{where}: phases")
    check(a.get("processmonitor.phases_omitted") == reference["phases_omitted"], f"{where}: phases_omitted")
    if reference["active"]:
        check(a.get("processmonitor.active.label") == reference["active"]["label"], f"{where}: active.label")
        check(a.get("processmonitor.active.lane") == reference["active"]["lane"], f"{where}: active.lane")
    else:
        check("processmonitor.active.label" not in a, f"{where}: no active phase expected")


def check_metrics(metrics, reference, time, start_times):
    where = f"seq {reference['seq']}"
    required = ["process.memory.usage", "process.thread.count", "process.disk.io", "processmonitor.memory.peak",
                "processmonitor.lanes.instrumented", "processmonitor.lanes.stalled", "processmonitor.records.dropped"]
    for name in required:
        check(name in metrics, f"{where}: metric {name} missing (have {sorted(metrics)})")
    for name, metric in metrics.items():
        check(name.startswith("process.") or name.startswith("processmonitor."), f"{where}: metric name {name}")
        check(metric.unit != "", f"{where}: {name} has no unit")
        which, data_points = points(metric)
        check(len(data_points) >= 1, f"{where}: {name} has no points")
        for point in data_points:
            check(point.time_unix_nano == time, f"{where}: {name} time")
            if which == "sum":
                check(metric.sum.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
                      f"{where}: {name} must be cumulative")
                check(0 < point.start_time_unix_nano <= time, f"{where}: {name} start time")
                start_times.add(point.start_time_unix_nano)
            else:
                check(which == "gauge", f"{where}: {name} is {which}")
                check(point.start_time_unix_nano == 0, f"{where}: {name} gauge with a start time")
    if "process.disk.io" in metrics:
        disk = metrics["process.disk.io"]
        check(disk.sum.is_monotonic, f"{where}: process.disk.io must be monotonic")
        by_direction = {}
        for point in disk.sum.data_points:
            direction = attributes(point.attributes).get("disk.io.direction")
            by_direction[direction] = point.as_int
        check(by_direction == {"read": reference["read_bytes"], "write": reference["write_bytes"]},
              f"{where}: process.disk.io {by_direction}")
    if "process.memory.usage" in metrics:
        memory = metrics["process.memory.usage"]
        check(not memory.sum.is_monotonic, f"{where}: process.memory.usage is an up-down counter")
        check(memory.sum.data_points[0].as_int == reference["rss_bytes"], f"{where}: process.memory.usage value")
    if "process.thread.count" in metrics:
        check(metrics["process.thread.count"].sum.data_points[0].as_int == reference["process_threads"], f"{where}: threads")
    stalled = metrics.get("processmonitor.lanes.stalled")
    if stalled:
        check(stalled.gauge.data_points[0].as_int == len(reference["stalls"]), f"{where}: lanes.stalled")
    busy, available = reference["cpu_cores"], reference["cpu_available_cores"]
    if busy is not None and available:
        check("process.cpu.utilization" in metrics, f"{where}: process.cpu.utilization missing")
        utilization = metrics["process.cpu.utilization"].gauge.data_points[0].as_double
        check(close(utilization, min(max(busy / available, 0), 1)) and 0 <= utilization <= 1,
              f"{where}: process.cpu.utilization {utilization}")
    dropped = metrics.get("processmonitor.records.dropped")
    if dropped:
        check(dropped.sum.is_monotonic, f"{where}: records.dropped must be monotonic")


def file_mode(otlp_path, reference_path, service):
    references = [json.loads(line) for line in open(reference_path)]
    lines = open(otlp_path).read().split("\n")
    check(lines[-1] == "", "the file must end with a newline")
    lines = lines[:-1]
    check(len(lines) == 2 * len(references), f"{len(lines)} lines for {len(references)} heartbeats (want 2 each)")
    start_times = set()
    sample = None
    for index, reference in enumerate(references):
        logs_line, metrics_line = lines[2 * index], lines[2 * index + 1]
        check(logs_line.startswith('{"resourceLogs"'), f"line {2 * index + 1} is not a logs request")
        check(metrics_line.startswith('{"resourceMetrics"'), f"line {2 * index + 2} is not a metrics request")
        logs = parse(logs_line, "logs")
        metrics_request = parse(metrics_line, "metrics")
        resource, record = log_record(logs)
        record_attributes = attributes(record.attributes)
        check_against_reference(record_attributes, record, reference, resource, service)
        metric_resource, metrics = metric_map(metrics_request)
        check(metric_resource == resource, f"seq {reference['seq']}: logs and metrics resources differ")
        check_metrics(metrics, reference, record.time_unix_nano, start_times)
        if sample is None and record.severity_text == "WARN":
            sample = (logs, metrics_request)
    check(len(start_times) == 1, f"cumulative start times must stay the same across the run: {sorted(start_times)}")
    first = references[0]
    if start_times:
        expected = nanos(first["timestamp"]) - round(first["elapsed_s"] * 1e9)
        check(abs(min(start_times) - expected) < 1e9, "start time is the monitor's start")
    check([r["seq"] for r in references] == list(range(1, len(references) + 1)), "reference seqs")
    check(references and references[-1]["trigger"] == "final", "the last heartbeat is the final one")
    warns = sum(1 for r in references if r["stalls"])
    check(warns > 0, "the demo should have produced stall records (WARN)")
    if sample:
        logs, metrics_request = sample
        record = logs.resource_logs[0].scope_logs[0].log_records[0]
        compact = lambda message: json.dumps(json.loads(json_format.MessageToJson(message)), separators=(",", ":"))
        print("otlp_check: a WARN log record as parsed by protobuf:", compact(record))
        for metric in metrics_request.resource_metrics[0].scope_metrics[0].metrics:
            if metric.name == "process.disk.io":
                print("otlp_check: its process.disk.io metric as parsed:", compact(metric))
    finish(f"{len(lines)} lines parsed as OTLP requests; {len(references)} heartbeats, {warns} WARN; "
           f"values match the JSON Lines records")


def http_mode(directory, reference_path, stderr_path):
    references = [json.loads(line) for line in open(reference_path)]
    requests = [json.loads(line) for line in open(os.path.join(directory, "requests.jsonl"))]
    expected = 2 * len(references)
    reference_seqs = {r["seq"] for r in references}
    reference_times = {nanos(r["timestamp"]): r["seq"] for r in references}
    accepted_logs, accepted_metrics = {}, {}
    retried_bodies = 0
    for entry in requests:
        body = open(os.path.join(directory, entry["file"]), "rb").read()
        check(entry["content_type"] == "application/json", f"{entry['file']}: Content-Type {entry['content_type']}")
        check(entry["path"] in ("/v1/logs", "/v1/metrics"), f"{entry['file']}: path {entry['path']}")
        kind = "logs" if entry["path"] == "/v1/logs" else "metrics"
        message = parse(body.decode("utf-8"), kind)
        if kind == "logs":
            _, record = log_record(message)
            key = attributes(record.attributes)["processmonitor.seq"]
            check(key in reference_seqs, f"log seq {key} not in the JSON Lines file")
            table = accepted_logs
        else:
            _, metrics = metric_map(message)
            key = next(iter(metrics.values())).WhichOneof("data")
            key = points(next(iter(metrics.values())))[1][0].time_unix_nano
            check(key in reference_times, f"metrics time {key} matches no heartbeat")
            table = accepted_metrics
        if entry["status"] == 200:
            if key in table:
                retried_bodies += 1
                check(table[key] == body, f"{kind} {key} accepted twice with different bodies")
            table[key] = body
    # Retry-After: 1 means the next attempt comes a second later at the earliest.
    gaps = []
    for before, after in zip(requests, requests[1:]):
        if before["status"] == 503:
            gaps.append(after["t"] - before["t"])
    answered_503 = sum(1 for r in requests if r["status"] == 503)
    check(answered_503 > 0, "the receiver never answered 503")
    check(all(gap >= 0.95 for gap in gaps), f"a retry came sooner than Retry-After allows: {gaps}")
    check(any(r["status"] == 200 for r in requests[answered_503:]), "nothing was accepted after the 503 phase")

    stderr = open(stderr_path).read()
    closing = re.findall(r"OTLPHTTPSink\([^)]*\): closed; (\d+) sent, (\d+) dropped", stderr)
    sent, dropped = (int(closing[-1][0]), int(closing[-1][1])) if closing else (None, 0)
    received = len(accepted_logs) + len(accepted_metrics)
    gone = os.path.exists(os.path.join(directory, "gone"))
    check(gone, "the receiver should have gone away before the demo ended")
    check(dropped > 0, "the receiver went away, so the closing line must report drops")
    check(expected - received <= dropped,
          f"lost beyond what was counted: {expected} requests, {received} received, {dropped} counted as dropped")
    if sent is not None:
        check(sent + dropped == expected, f"sink accounted for {sent} + {dropped}, expected {expected}")
        check(sent <= received <= sent + 1, f"sink says {sent} sent, receiver accepted {received} distinct")
    last_dropped = -1
    for seq in sorted(accepted_logs):
        _, record = log_record(parse(accepted_logs[seq].decode(), "logs"))
        now = attributes(record.attributes).get("processmonitor.dropped_records")
        check(now >= last_dropped, "processmonitor.dropped_records must not go down")
        last_dropped = now
    finish(f"{len(requests)} requests ({answered_503} answered 503 with Retry-After, retry gaps "
           f"{min(gaps):.2f}s+); {len(references)} heartbeats = {expected} requests: {len(accepted_logs)} logs + "
           f"{len(accepted_metrics)} metrics accepted ({retried_bodies} duplicate deliveries, identical), "
           f"{dropped} counted as dropped by the sink ({sent} sent); every body parsed")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "file" and len(sys.argv) == 5:
        file_mode(*sys.argv[2:])
    elif mode == "http" and len(sys.argv) == 5:
        http_mode(*sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
