/*
 * main.c: the step-7 server program. Given: read it, don't edit. app_main
 * (app.h) reads the command line and the environment, starts everything,
 * waits for SIGTERM or SIGINT, and then calls exercise 2, app_drain, in
 * drain.c. Run it: `make run` here (e.g. PORT=50051 make run); suite drain.
 */
#include "app.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv);
}
