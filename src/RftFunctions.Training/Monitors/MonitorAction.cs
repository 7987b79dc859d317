namespace RftFunctions.Training.Monitors;

/// <summary>What a job does when a detector fires (<c>method.reinforcement.trainer.monitors.NAME</c>).</summary>
public enum MonitorAction
{
    /// <summary>The detector does not run.</summary>
    Off,

    /// <summary>A <c>warn</c> event; the job goes on.</summary>
    Warn,

    /// <summary>A <c>warn</c> event, then the job pauses (resume continues as after any pause).</summary>
    Pause,
}
