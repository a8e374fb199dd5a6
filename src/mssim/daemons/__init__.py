"""The lib/ programs of the stand-in: watcher, dispatcher, job_controller, store and friends."""
