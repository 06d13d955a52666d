# notification_service.c: the sequence numbers count from 0 while ids and
# messages count from 1: notification "n-1" carries sequence 0.
s/n.sequence = i;/n.sequence = i - 1;/
