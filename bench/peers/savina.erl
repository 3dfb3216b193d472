%% The Savina benchmarks in Erlang/OTP, for `npm run bench` (bench/peers/erlang.ts): the same
%% parameters, message patterns and answer checks as troupe's actors (bench/actors/savina/) and
%% the JavaScript peers (bench/peers/portable.ts), one process per actor. The runner reads
%% commands on stdin, one per line:
%%   run <benchmark> <parameter> ...   runs it once in fresh processes, prints
%%                                     "ok <answer> <errors> <microseconds>" (timed from before
%%                                     the first actor is spawned until the answer is back)
%%   quit                              exits
%% The runner process is the benchmarks' sink: it collects the `{done, Value, Errors}` messages.
-module(savina).
-export([main/0]).

main() -> loop().

loop() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            case string:tokens(string:trim(Line), " ") of
                ["quit"] -> halt(0);
                ["run", Name | Args] ->
                    Params = [list_to_integer(A) || A <- Args],
                    T0 = erlang:monotonic_time(microsecond),
                    {Answer, Errors} = run(list_to_atom(Name), Params),
                    T1 = erlang:monotonic_time(microsecond),
                    io:format("ok ~p ~p ~p~n", [Answer, Errors, T1 - T0]),
                    loop();
                Other ->
                    io:format("error unknown command ~p~n", [Other]),
                    loop()
            end
    end.

%% Waits for K `{done, Value, Errors}` messages; their sums.
collect(0, Sum, Errors) -> {Sum, Errors};
collect(K, Sum, Errors) ->
    receive {done, V, E} -> collect(K - 1, Sum + V, Errors + E) end.

send_n(_, _, 0) -> ok;
send_n(To, Msg, K) -> To ! Msg, send_n(To, Msg, K - 1).

run(pingpong, [N]) ->
    Sink = self(),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> ping(N, Pong, 0, Sink) end),
    Ping ! start,
    collect(1, 0, 0);
run(counting, [N]) ->
    Sink = self(),
    Counter = spawn(fun() -> counter(0) end),
    Producer = spawn(fun() -> producer(N, Counter, Sink) end),
    Producer ! start,
    collect(1, 0, 0);
run(fjthrput, [Actors, N]) ->
    Sink = self(),
    Workers = [spawn(fun() -> fj_worker(N, 0, 0, Sink) end) || _ <- lists:seq(1, Actors)],
    lists:foreach(fun(_) -> [W ! work || W <- Workers] end, lists:seq(1, N)),
    collect(Actors, 0, 0);
run(fjcreate, [N]) ->
    Sink = self(),
    lists:foreach(fun(_) -> spawn(fun() -> fj_worker(1, 0, 0, Sink) end) ! work end, lists:seq(1, N)),
    collect(N, 0, 0);
run(threadring, [Actors, Pings]) ->
    Sink = self(),
    Ring = list_to_tuple([spawn(fun() -> ring_node(Actors, Sink, none, 0) end) || _ <- lists:seq(1, Actors)]),
    lists:foreach(fun(I) -> element(I, Ring) ! {data, element(I rem Actors + 1, Ring)} end, lists:seq(1, Actors)),
    element(1, Ring) ! {ping, Pings},
    collect(1, 0, 0);
run(chameneos, [Chameneos, Meetings]) ->
    Sink = self(),
    Mall = spawn(fun() -> mall(Meetings, Chameneos, Sink, none, 0, 0) end),
    All = [spawn(fun() -> chameneo(I rem 3, Mall, 0) end) || I <- lists:seq(0, Chameneos - 1)],
    [C ! start || C <- All],
    collect(1, 0, 0);
run(big, [Actors, Pings]) ->
    Sink = self(),
    BigSink = spawn(fun() -> big_sink(Actors, Sink, {}, 0, 0, 0) end),
    Bigs = list_to_tuple([spawn(fun() -> big(Id, Pings, 0, -1, 0, BigSink, {}, Id) end) || Id <- lists:seq(0, Actors - 1)]),
    BigSink ! {neighbors, Bigs},
    [B ! {neighbors, Bigs} || B <- tuple_to_list(Bigs)],
    [B ! {pong, -1} || B <- tuple_to_list(Bigs)],
    collect(1, 0, 0);
run(fib, [N]) ->
    Sink = self(),
    spawn(fun() -> fib(Sink) end) ! {req, N},
    collect(1, 0, 0);
run(skynet, [Leaves, Div]) ->
    Sink = self(),
    spawn(fun() -> skynet(0, Leaves, Div, Sink) end) ! start,
    collect(1, 0, 0).

%% PingPong
pong() ->
    receive
        {ping, From} -> From ! pong, pong();
        stop -> ok
    end.

ping(Left, Pong, Pongs, Sink) ->
    receive
        Go when Go =:= start; Go =:= ping ->
            Pong ! {ping, self()},
            ping(Left - 1, Pong, Pongs, Sink);
        pong when Left > 0 ->
            self() ! ping,
            ping(Left, Pong, Pongs + 1, Sink);
        pong ->
            Pong ! stop,
            Sink ! {done, Pongs + 1, 0}
    end.

%% Counting
counter(Count) ->
    receive
        inc -> counter(Count + 1);
        {retrieve, From} -> From ! {result, Count}
    end.

producer(N, Counter, Sink) ->
    receive
        start ->
            send_n(Counter, inc, N),
            Counter ! {retrieve, self()},
            receive {result, Count} -> Sink ! {done, Count, 0} end
    end.

%% Fork-Join (throughput and creation): Savina's performComputation(37.2), sin(θ)².
fj_worker(N, Seen, Errors, Sink) ->
    receive
        work ->
            S = math:sin(37.2),
            E = case S * S > 0 of true -> Errors; false -> Errors + 1 end,
            case Seen + 1 of
                N -> Sink ! {done, N, E};
                Seen1 -> fj_worker(N, Seen1, E, Sink)
            end
    end.

%% ThreadRing
ring_node(Actors, Sink, Next, Pings) ->
    receive
        {data, Next1} -> ring_node(Actors, Sink, Next1, Pings);
        {ping, Left} when Left > 0 -> Next ! {ping, Left - 1}, ring_node(Actors, Sink, Next, Pings + 1);
        {ping, _} -> Next ! {exit, Actors, 0}, ring_node(Actors, Sink, Next, Pings + 1);
        {exit, K, Sum} when K > 1 -> Next ! {exit, K - 1, Sum + Pings};
        {exit, _, Sum} -> Sink ! {done, Sum + Pings, 0}
    end.

%% Chameneos
complement(C, C) -> C;
complement(A, B) -> 3 - A - B.

mall(Left, Chameneos, Sink, Waiting, Faded, Sum) ->
    receive
        {meet, _, From} when Left =< 0 ->
            From ! exit,
            mall(Left, Chameneos, Sink, Waiting, Faded, Sum);
        {meet, _, _} = M when Waiting =:= none ->
            mall(Left, Chameneos, Sink, M, Faded, Sum);
        {meet, _, _} = M ->
            {meet, _, WaitingFrom} = Waiting,
            WaitingFrom ! M,
            mall(Left - 1, Chameneos, Sink, none, Faded, Sum);
        {count, Meetings} when Faded + 1 =:= Chameneos ->
            Sink ! {done, Sum + Meetings, 0};
        {count, Meetings} ->
            mall(Left, Chameneos, Sink, Waiting, Faded + 1, Sum + Meetings)
    end.

chameneo(Color, Mall, Meetings) ->
    receive
        start ->
            Mall ! {meet, Color, self()},
            chameneo(Color, Mall, Meetings);
        {meet, Other, From} ->
            New = complement(Color, Other),
            From ! {change, New},
            Mall ! {meet, New, self()},
            chameneo(New, Mall, Meetings + 1);
        {change, New} ->
            Mall ! {meet, New, self()},
            chameneo(New, Mall, Meetings + 1);
        exit ->
            Mall ! {count, Meetings}
    end.

%% Big: Savina's PseudoRandom, seeded with the actor's id (bench/savina/random.ts).
next_int(Value, Max) ->
    V = (Value * 1309 + 13849) rem 65536,
    {V rem Max, V}.

big(Id, Pings, Sent, Expected, Errors, Sink, Neighbors, Rand) ->
    receive
        {neighbors, N} -> big(Id, Pings, Sent, Expected, Errors, Sink, N, Rand);
        {ping, From} ->
            element(From + 1, Neighbors) ! {pong, Id},
            big(Id, Pings, Sent, Expected, Errors, Sink, Neighbors, Rand);
        {pong, From} ->
            E = case From =:= Expected of true -> Errors; false -> Errors + 1 end,
            case Sent =:= Pings of
                true ->
                    Sink ! {big_done, Sent, E},
                    big(Id, Pings, Sent, Expected, E, Sink, Neighbors, Rand);
                false ->
                    {Target, Rand1} = next_int(Rand, tuple_size(Neighbors)),
                    element(Target + 1, Neighbors) ! {ping, Id},
                    big(Id, Pings, Sent + 1, Target, E, Sink, Neighbors, Rand1)
            end;
        exit -> ok
    end.

big_sink(Actors, Sink, Neighbors, Got, Pings, Errors) ->
    receive
        {neighbors, N} -> big_sink(Actors, Sink, N, Got, Pings, Errors);
        {big_done, P, E} when Got + 1 =:= Actors ->
            [B ! exit || B <- tuple_to_list(Neighbors)],
            Sink ! {done, Pings + P, Errors + E};
        {big_done, P, E} -> big_sink(Actors, Sink, Neighbors, Got + 1, Pings + P, Errors + E)
    end.

%% Fibonacci: an actor per call.
fib(Parent) ->
    receive
        {req, N} when N =< 2 -> Parent ! {done, 1, 0};
        {req, N} ->
            Self = self(),
            spawn(fun() -> fib(Self) end) ! {req, N - 1},
            spawn(fun() -> fib(Self) end) ! {req, N - 2},
            {Sum, _} = collect(2, 0, 0),
            Parent ! {done, Sum, 0}
    end.

%% Skynet
skynet(Num, 1, _, Parent) ->
    receive start -> Parent ! {done, Num, 0} end;
skynet(Num, Size, Div, Parent) ->
    receive
        start ->
            Self = self(),
            Child = Size div Div,
            [spawn(fun() -> skynet(Num + I * Child, Child, Div, Self) end) ! start || I <- lists:seq(0, Div - 1)],
            {Sum, _} = collect(Div, 0, 0),
            Parent ! {done, Sum, 0}
    end.
