"""Submits a report through Python stubs and reads it back (see
python_client_test.sh). Exits non-zero on any mismatch."""
import datetime
import os
import sys

import grpc
from google.protobuf import timestamp_pb2

from google.rpc import error_details_pb2, status_pb2
import std_health_pb2 as health_pb2
import std_health_pb2_grpc as health_pb2_grpc
import std_reflection_pb2 as reflection_pb2
import std_reflection_pb2_grpc as reflection_pb2_grpc
from hirs.v1 import reporting_service_pb2 as rs
from hirs.v1 import reporting_service_pb2_grpc as rs_grpc
from hirs.v1 import types_pb2 as t


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


def main():
    channel = grpc.insecure_channel(os.environ["HIRS_SERVER"])
    stub = rs_grpc.ReportingServiceStub(channel)
    metadata = (("authorization", "Bearer " + os.environ["HIRS_TOKEN"]),)

    start = timestamp_pb2.Timestamp()
    start.FromDatetime(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
                       - datetime.timedelta(days=1))
    report = t.Report(
        reporter_role=t.WITNESS,
        motivations=[t.DISABILITY],
        incident_types=[t.HARASSMENT],
        occurred_start=start,
        location=t.Location(postcode="le13 0aa", place_type=t.SHOP_OR_BUSINESS),
        description="Interop test report \u2014 caf\u00e9",
    )
    response = stub.SubmitReport(rs.SubmitReportRequest(request_id="py-1", report=report),
                                 metadata=metadata, timeout=10)
    check(response.collation == t.NEW_CASE, f"collation {response.collation}")
    check(response.report_id.startswith("rpt_"), response.report_id)

    again = stub.SubmitReport(rs.SubmitReportRequest(request_id="py-1", report=report),
                              metadata=metadata, timeout=10)
    check(again.collation == t.ALREADY_RECEIVED and again.report_id == response.report_id, "retry")

    got = stub.GetReport(rs.GetReportRequest(report_id=response.report_id), metadata=metadata, timeout=10)
    check(got.description == report.description, "description round trip")
    check(got.reporting_centre == "centre-a", got.reporting_centre)
    check(got.location.postcode == "le13 0aa", "kept as received")

    # Errors carry google.rpc.BadRequest in grpc-status-details-bin.
    bad = t.Report(reporter_role=t.VICTIM)
    try:
        stub.SubmitReport(rs.SubmitReportRequest(report=bad), metadata=metadata, timeout=10)
        check(False, "invalid report accepted")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, f"code {e.code()}")
        raw = dict(e.trailing_metadata()).get("grpc-status-details-bin")
        check(raw is not None, "no error details")
        st = status_pb2.Status.FromString(raw)
        br = error_details_pb2.BadRequest()
        check(st.details[0].Unpack(br), "details are not a BadRequest")
        fields = {v.field for v in br.field_violations}
        check({"report.motivations", "report.occurred_start", "report.location"} <= fields, str(fields))

    try:
        stub.GetReport(rs.GetReportRequest(report_id=response.report_id), timeout=10)
        check(False, "unauthenticated read allowed")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.UNAUTHENTICATED, f"code {e.code()}")
    check_health_and_reflection(channel)
    print("python client: submitted, retried, read back, errors decoded, health and reflection seen")


def check_health_and_reflection(channel):
    health = health_pb2_grpc.HealthStub(channel)
    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=10)  # no token needed
    check(reply.status == health_pb2.HealthCheckResponse.SERVING, f"health {reply.status}")

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="hirs.v1.ReportingService"),
    ]
    answers = list(reflection.ServerReflectionInfo(iter(requests), timeout=10))
    services = {s.name for s in answers[0].list_services_response.service}
    wanted = {"hirs.v1.ReportingService", "hirs.v1.CaseService", "hirs.v1.ExtractService",
              "hirs.v1.AdminService", "grpc.health.v1.Health"}
    check(wanted <= services, f"reflection lists {sorted(services)}")
    check(len(answers[1].file_descriptor_response.file_descriptor_proto) > 0,
          "reflection has no descriptor for hirs.v1.ReportingService")


if __name__ == "__main__":
    main()
