"""The trading desk: state keeper, actor, order desk, cooldowns, audit record, decision
inputs, and the one trading cycle the daemon and the backtest both drive."""
