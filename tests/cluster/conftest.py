from tests.cluster.hosts import cluster_hosts  # noqa: F401  (the fixture, for every test here)
