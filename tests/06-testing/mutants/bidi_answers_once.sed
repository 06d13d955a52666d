# my_service.c: BidirectionalStream answers the first request and ends the
# call with OK (an `if` where the loop's `while` belongs).
s/while ((req = cg_recv(stream)) != NULL) {/if ((req = cg_recv(stream)) != NULL) {/
