/*
 * mock_repo_given.c: the repository object around the mock (contract in
 * mock_repo.h). Given: read it, don't edit. Exercise 1 is in mock_repo.c.
 */
#include "mock_repo.h"

user_repo *mock_repo(void)
{
    static user_repo repo = {mock_get_by_id, NULL};
    return &repo;
}
