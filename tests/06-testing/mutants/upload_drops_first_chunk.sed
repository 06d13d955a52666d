# file_service.c: the first chunk is read for its filename only; its data
# is never appended, so size and file_id cover the other chunks alone.
s/filename = cg_strdup(ctx, chunk->filename);/filename = cg_strdup(ctx, chunk->filename);\n            continue;/
