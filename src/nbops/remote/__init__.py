"""The team remote: object storage shared by every clone, CI machine and Dask worker.

    config      which remote a project uses (.nbops/remote.yaml or $NBOPS_REMOTE), set_remote
    store       RemoteStore: content-addressed objects + conditional writes, over fsspec
    index       the remote's run index document (runs/index.json)
    objects     fetch objects into the local content store on demand, verified
    lease       a lease with expiry on the remote (who may change the shared registry)

Pushing and pulling runs (which needs the run ledger) lives one layer up, in
:mod:`nbops.sync`.
"""
