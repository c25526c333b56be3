"""Writes and reads the test records the way other programs do, for SpateFormatsTests.

  interop.py write DIR   writes json.bin, avro.bin, confluent.bin and protobuf.bin: the records of RECORDS,
                         each framed by a 4-byte big-endian length, by json, fastavro and protobuf
  interop.py read DIR    reads spate-json.bin, spate-avro.bin, spate-confluent.bin and spate-protobuf.bin (what
                         Spate wrote, same framing) and prints {format: [records as dicts]} as JSON

Needs fastavro, protobuf and grpcio-tools (scripts/python-deps.sh).
"""
import io
import json
import os
import struct
import sys
import tempfile

import fastavro
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_ID = 42
RECORDS = [
    {"page": "/home", "user_id": 1, "amount": 0.5, "tags": ["a", "b"], "kind": "VIEW", "referrer": None,
     "counts": {"x": 1}},
    {"page": "/caf\u00e9 \"quoted\"\n", "user_id": -9007199254740993, "amount": -1.25e-3, "tags": [], "kind": "BUY",
     "referrer": "https://e.x/?q=1", "counts": {}},
    {"page": "", "user_id": 9223372036854775807, "amount": 1e300, "tags": ["\u2603", "emoji \U0001F600"],
     "kind": "VIEW", "referrer": "", "counts": {"a": -2147483648, "b": 2147483647}},
]


def click_pb2():
    out = tempfile.mkdtemp(prefix="spate-pb-")
    if protoc.main(["protoc", f"-I{HERE}", f"--python_out={out}", os.path.join(HERE, "click.proto")]) != 0:
        sys.exit("protoc failed on click.proto")
    sys.path.insert(0, out)
    import click_pb2 as module
    return module


def schema():
    with open(os.path.join(HERE, "click.avsc")) as f:
        return fastavro.parse_schema(json.load(f))


def frame(records):
    return b"".join(struct.pack(">I", len(r)) + r for r in records)


def unframe(data):
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def avro_bytes(record, parsed):
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, record)
    return buf.getvalue()


def to_proto(pb, record):
    m = pb.Click(page=record["page"], user_id=record["user_id"], amount=record["amount"], tags=record["tags"],
                 kind=pb.Click.Kind.Value(record["kind"]))
    if record["referrer"] is not None:
        m.referrer = record["referrer"]
    m.counts.update(record["counts"])
    return m.SerializeToString()


def from_proto(pb, data):
    m = pb.Click()
    m.ParseFromString(data)
    return {"page": m.page, "user_id": m.user_id, "amount": m.amount, "tags": list(m.tags),
            "kind": pb.Click.Kind.Name(m.kind), "referrer": m.referrer if m.HasField("referrer") else None,
            "counts": dict(m.counts)}


def write(directory):
    parsed, pb = schema(), click_pb2()
    files = {
        "json.bin": [json.dumps(r).encode() for r in RECORDS],
        "avro.bin": [avro_bytes(r, parsed) for r in RECORDS],
        "confluent.bin": [b"\x00" + struct.pack(">I", SCHEMA_ID) + avro_bytes(r, parsed) for r in RECORDS],
        "protobuf.bin": [to_proto(pb, r) for r in RECORDS],
    }
    for name, records in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(frame(records))


def read(directory):
    parsed, pb = schema(), click_pb2()

    def records(name):
        with open(os.path.join(directory, name), "rb") as f:
            return unframe(f.read())

    def confluent(data):
        if data[0] != 0 or struct.unpack(">I", data[1:5])[0] != SCHEMA_ID:
            raise ValueError(f"bad Confluent header {data[:5]!r}")
        return fastavro.schemaless_reader(io.BytesIO(data[5:]), parsed)

    def normalized(r):
        r.setdefault("referrer", None)
        return r

    out = {
        "json": [normalized(json.loads(d)) for d in records("spate-json.bin")],
        "avro": [fastavro.schemaless_reader(io.BytesIO(d), parsed) for d in records("spate-avro.bin")],
        "confluent": [confluent(d) for d in records("spate-confluent.bin")],
        "protobuf": [from_proto(pb, d) for d in records("spate-protobuf.bin")],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
