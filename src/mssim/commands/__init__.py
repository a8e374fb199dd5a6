"""The sbin/ commands of the stand-in installation."""
