"""The docker-free local runtime: our twin of `sam local start-api` / `sam local invoke`.

template.yaml is the only description of the stack: the runtime reads its
routes, functions and resources from it, creates the resources on moto's
server (or another endpoint, or uses a deployed stack's), and runs each
function's handler in worker processes behind an API Gateway-like HTTP server.
"""
