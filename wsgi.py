import gc

from eldercare import create_app

app = create_app()

# What was made to start lives as long as the process (modules, the ORM's mappers, the locale data:
# some 185,000 objects): left out of the collector's full walks, which otherwise go over all of it
# each time pages allocate enough. A first view of the dashboard at a province's scale set off two,
# 0.2 CPU-s of its 0.6. Garbage made while starting is collected first, so none is kept for good.
gc.collect()
gc.freeze()
