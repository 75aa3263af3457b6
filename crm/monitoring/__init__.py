"""Equipment monitoring: signals from a unit's sensors (IoT, SCADA, a vendor's cloud) open proactive service."""
