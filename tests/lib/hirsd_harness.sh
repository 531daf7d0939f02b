# Shell helpers for tests that run the real hirsd binary. Source it; it
# defines start_hirsd / stop_hirsd and writes a principals file.
#
#   HIRSD=path/to/hirsd; WORK=$(mktemp -d); source hirsd_harness.sh
#   start_hirsd [FLAGS]    # sets HIRSD_PID and HIRSD_ADDR (and METRICS_ADDR
#                          # with --metrics_listen, HTTP_ADDR with
#                          # --http_listen); data in $HIRSD_DATA
#                          # (default $WORK/data), FLAGS added to hirsd's
#   stop_hirsd             # SIGTERM, and fails unless hirsd exits 0

CENTRE_TOKEN=token-centre-a
POLICE_TOKEN=token-police
DISTRICT_TOKEN=token-charnwood
RUTLAND_TOKEN=token-rutland
ADMIN_TOKEN=token-admin

sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

cat > "$WORK/principals.json" <<JSON
{"principals": [
  {"id": "centre-a", "role": "REPORTING_CENTRE", "scope": "centre-a", "token_sha256": "$(sha $CENTRE_TOKEN)"},
  {"id": "police", "role": "POLICE", "scope": "E23000021", "token_sha256": "$(sha $POLICE_TOKEN)"},
  {"id": "charnwood", "role": "DISTRICT", "scope": "E07000130", "token_sha256": "$(sha $DISTRICT_TOKEN)"},
  {"id": "rutland", "role": "DISTRICT", "scope": "E06000017", "token_sha256": "$(sha $RUTLAND_TOKEN)"},
  {"id": "admin", "role": "ADMIN", "token_sha256": "$(sha $ADMIN_TOKEN)"}
]}
JSON

start_hirsd() {
  : >"$WORK/hirsd.out"  # so that a previous run's "listening on" is not read
  "$HIRSD" --listen=127.0.0.1:0 --data_dir="${HIRSD_DATA:-$WORK/data}" --principals="$WORK/principals.json" "$@" \
    >"$WORK/hirsd.out" 2>>"$WORK/hirsd.log" &
  HIRSD_PID=$!
  for _ in $(seq 1 100); do
    HIRSD_ADDR=$(sed -n 's/^listening on //p' "$WORK/hirsd.out")
    if [ -n "$HIRSD_ADDR" ]; then
      # hirsd prints "metrics on" and "http on" with "listening on", in one
      # flush.
      # shellcheck disable=SC2034  # for the scripts that source this
      METRICS_ADDR=$(sed -n 's/^metrics on //p' "$WORK/hirsd.out")
      # shellcheck disable=SC2034
      HTTP_ADDR=$(sed -n 's/^http on //p' "$WORK/hirsd.out")
      return 0
    fi
    kill -0 "$HIRSD_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "hirsd did not start:"; cat "$WORK/hirsd.log"; return 1
}

stop_hirsd() {
  kill -TERM "$HIRSD_PID"
  local rc=0
  wait "$HIRSD_PID" || rc=$?
  if [ "$rc" -ne 0 ]; then echo "hirsd exited $rc after SIGTERM"; cat "$WORK/hirsd.log"; return 1; fi
}
