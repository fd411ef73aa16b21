/**
 * epoll, poll and select on the event core: {@link io.jocclum.libos.epoll.EpollFile} (an
 * interest set keyed by open file and descriptor number, a ready list re-polled on every wait,
 * level/edge/one-shot/exclusive semantics, nested epolls that are ordinary pollable files),
 * {@link io.jocclum.libos.epoll.EpollCalls} (epoll_create1/ctl/wait/pwait/pwait2 with Linux's
 * checks in Linux's order) and {@link io.jocclum.libos.epoll.PollCalls} (poll, ppoll, select,
 * pselect6). Modelled on fs/eventpoll.c rather than on Occlum's epoll, whose weaknesses
 * (W2–W10, W12–W14) are fixed; see docs/events.md.
 */
package io.jocclum.libos.epoll;
