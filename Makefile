# The README's set-up: `make run` brings the stack up, `make test` runs every test.
# Ports, data folder and overrides: deploy/local/README.md.
SHELL := /bin/bash
.PHONY: run test stop bench build deps nginx-configs

# Debian packages (MariaDB, Redis, nginx, dev libraries, wrk) and the Python test clients.
deps:
	deploy/local/install-deps.sh

build: deps
	swift build -c release

# Build, start MariaDB primary + replica, Redis, nginx, two ChatAPI and two ChatRelay in
# .run/, wait until all are healthy, print where they are, run deploy/local/demo.sh.
run: build
	deploy/local/run.sh

# Stops exactly what `make run` started (.run/pids), nothing else.
stop:
	deploy/local/stop.sh

# Every test. Tests start their own MariaDB/Redis/nginx on free ports (Tests/TestSupport),
# so nothing needs to be running first, and a running `make run` stack is not touched;
# no-leftovers.py fails the run (and kills them) if any process the tests started outlives them.
test: deps
	swift build --build-tests
	deploy/local/testing/no-leftovers.py swift test --no-parallel 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

bench: build
	deploy/local/bench.sh

# Re-render the committed nginx configs after changing deploy/nginx/*.conf or the template.
nginx-configs:
	deploy/nginx/render.sh --listen 127.0.0.1:8080 --api 127.0.0.1:8081,127.0.0.1:8082 \
	  --relay 127.0.0.1:8091,127.0.0.1:8092 > deploy/nginx/local/nginx.conf
	deploy/nginx/render.sh --listen 0.0.0.0:8080 --api chat-api-1:8081,chat-api-2:8082 \
	  --relay chat-relay-1:8091,chat-relay-2:8092 --access-log /dev/stdout --error-log stderr \
	  > docker/nginx/nginx.conf
