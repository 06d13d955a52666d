# user_service.c: GetUser answers every result but USER_FOUND as "not
# found": a repository that fails (down, timed out) looks to the client
# like a user who does not exist, NOT_FOUND instead of INTERNAL.
s/if (r == USER_NOT_FOUND)/if (r != USER_FOUND)/
