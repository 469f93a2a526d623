import GraphEngine
import Staging
print(EngineVersion.ladybug, StagingVersion.duckdb)
