#!/usr/bin/env bash
# Installs the Python packages the format tests use to write and read records the way other programs do:
# fastavro (Avro binary), protobuf (the Protobuf runtime) and grpcio-tools (protoc, to compile the test's .proto
# for Python). Idempotent: a package already present is left alone. Usage: scripts/python-deps.sh
set -euo pipefail
need=()
python3 -c 'import fastavro' 2>/dev/null || need+=("fastavro")
python3 -c 'import google.protobuf' 2>/dev/null || need+=("protobuf")
python3 -c 'import grpc_tools.protoc' 2>/dev/null || need+=("grpcio-tools")
if [ ${#need[@]} -gt 0 ]; then
    python3 -m pip install --quiet --disable-pip-version-check "${need[@]}"
fi
