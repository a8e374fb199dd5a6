"""mssim: a Sun Java System Messaging Server 6.3 installation stand-in (development tool)."""
