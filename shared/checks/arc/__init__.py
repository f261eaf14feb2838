"""Azure Arc-enabled Kubernetes platform checks (guide: arc-kubernetes-platform-troubleshooting)."""
